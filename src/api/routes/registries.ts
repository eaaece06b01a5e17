import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { registryViewSchema } from '../../core/schemas/views/registries.js';
import { Secret } from '../../core/secret.js';
import { listRegistries, prepareRegistryAdd, prepareRegistryRemove } from '../../services/registries/registries.js';
import { type Api, ERRORS, json, REMOTE_ERRORS, type RouteDeps, security } from '../route-kit.js';
import { nameParam } from '../schemas.js';
import { registryAddBody } from '../schemas-remote.js';
import { accepted } from './app-job-route.js';

const tags = ['registries'];

/** Private registries of a server (services/registries): list, log in (job), log out (job). */
export function registryRoutes(api: Api, deps: RouteDeps): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/servers/{name}/registries',
      tags,
      summary: 'Registries the server is logged in to (passwords are never returned)',
      security,
      request: { params: nameParam },
      responses: { 200: json(z.array(registryViewSchema), 'Registries'), ...ERRORS },
    }),
    async (c) => c.json(await listRegistries(c.var.ctx, c.req.valid('param').name), 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/servers/{name}/registries',
      tags,
      summary: 'Log the server in to a registry (docker login --password-stdin), then store the credentials sealed',
      security,
      request: {
        params: nameParam,
        body: { content: { 'application/json': { schema: registryAddBody } }, required: true },
      },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const { host, username, password } = c.req.valid('json');
      const plan = await prepareRegistryAdd(c.var.ctx, {
        server: c.req.valid('param').name,
        host,
        username,
        password: new Secret(password),
      });
      return deps.startPlan(c, plan);
    },
  );

  api.openapi(
    createRoute({
      method: 'delete',
      path: '/api/servers/{name}/registries/{host}',
      tags,
      summary: 'Log the server out of a registry and forget its credentials',
      security,
      request: { params: nameParam.extend({ host: z.string().max(300) }) },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const { name, host } = c.req.valid('param');
      return deps.startPlan(c, await prepareRegistryRemove(c.var.ctx, { server: name, host }));
    },
  );
}
