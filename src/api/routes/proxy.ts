import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { domainSchema, portSchema } from '../../core/schemas/common.js';
import { proxySettingsSchema } from '../../core/schemas/server.js';
import { jobAcceptedSchema } from '../../core/schemas/views/jobs.js';
import { proxyRouteViewSchema, proxySettingsViewSchema, proxyStatusSchema } from '../../core/schemas/views/proxy.js';
import {
  listProxyRoutes,
  prepareProxyAdd,
  prepareProxyReload,
  prepareProxyRemove,
  prepareProxySetup,
  proxyStatus,
} from '../../services/proxy/proxy.js';
import { setProxySettings } from '../../services/servers/settings.js';
import { type Api, ERRORS, json, REMOTE_ERRORS, type RouteDeps, security } from '../route-kit.js';
import { nameParam } from '../schemas.js';

const tags = ['proxy'];
const accepted = { 202: json(jobAcceptedSchema, 'Job started; follow it at Location') };
const routeBody = z.object({ domain: domainSchema, port: portSchema }).meta({ id: 'ProxyRouteAdd' });
// Not `.partial()`: zod would fill the defaults in, resetting every setting the request leaves out.
const ps = proxySettingsSchema.shape;
const settingsBody = z
  .object({
    tls: ps.tls.unwrap().optional(),
    httpPort: ps.httpPort.unwrap().optional(),
    httpsPort: ps.httpsPort.unwrap().optional(),
    adminAddress: ps.adminAddress.unwrap().optional(),
  })
  .meta({ id: 'ProxySettingsPatch' });
const domainParam = z.object({ name: nameParam.shape.name, domain: domainSchema });

/** The Caddy proxy of a server (`infrakt proxy …`): routes are state, the config is rendered from it. */
export function proxyRoutes(api: Api, deps: RouteDeps): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/servers/{name}/proxy/routes',
      tags,
      summary: 'Routes served by the proxy of a server (app routes and manual ones)',
      security,
      request: { params: nameParam },
      responses: { 200: json(z.array(proxyRouteViewSchema), 'Routes'), ...REMOTE_ERRORS },
    }),
    async (c) => c.json(await listProxyRoutes(c.var.ctx, c.req.valid('param').name), 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/servers/{name}/proxy/routes',
      tags,
      summary: 'Add a manual route domain → 127.0.0.1:port and apply the config',
      security,
      request: { params: nameParam, body: { content: { 'application/json': { schema: routeBody } }, required: true } },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const { domain, port } = c.req.valid('json');
      return deps.startPlan(c, await prepareProxyAdd(c.var.ctx, { domain, port, server: c.req.valid('param').name }));
    },
  );

  api.openapi(
    createRoute({
      method: 'delete',
      path: '/api/servers/{name}/proxy/routes/{domain}',
      tags,
      summary: 'Remove a manual route and apply the config (app routes go with their app)',
      security,
      request: { params: domainParam },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const { name, domain } = c.req.valid('param');
      return deps.startPlan(c, await prepareProxyRemove(c.var.ctx, { domain, server: name }));
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/servers/{name}/proxy/reload',
      tags,
      summary: 'Render the config from the stored routes and apply it',
      security,
      request: { params: nameParam },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => deps.startPlan(c, await prepareProxyReload(c.var.ctx, c.req.valid('param').name)),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/servers/{name}/proxy/setup',
      tags,
      summary: 'Install the rendered config and start Caddy if needed',
      security,
      request: { params: nameParam },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => deps.startPlan(c, await prepareProxySetup(c.var.ctx, c.req.valid('param').name)),
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/servers/{name}/proxy',
      tags,
      summary: 'Is Caddy answering, and does the config on the server match the stored routes?',
      security,
      request: { params: nameParam },
      responses: { 200: json(proxyStatusSchema, 'Proxy status'), ...REMOTE_ERRORS },
    }),
    async (c) => c.json(await proxyStatus(c.var.ctx, c.req.valid('param').name), 200),
  );

  api.openapi(
    createRoute({
      method: 'put',
      path: '/api/servers/{name}/proxy/settings',
      tags,
      summary: 'Change the proxy settings (TLS mode, ports, admin address); applied by the next reload or deploy',
      security,
      request: {
        params: nameParam,
        body: { content: { 'application/json': { schema: settingsBody } }, required: true },
      },
      responses: { 200: json(proxySettingsViewSchema, 'The settings now'), ...ERRORS },
    }),
    async (c) => c.json(await setProxySettings(c.var.ctx, c.req.valid('param').name, c.req.valid('json')), 200),
  );
}
