import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { nameSchema } from '../../core/schemas/common.js';
import { autoDeployViewSchema } from '../../core/schemas/views/polling.js';
import { setAutoDeploy, showAutoDeploy } from '../../services/polling/auto-deploy.js';
import { type Api, ERRORS, json, type RouteDeps, security } from '../route-kit.js';
import { nameParam, serverQuery } from '../schemas.js';

const tags = ['apps'];

const autoDeployBody = z
  .object({
    server: nameSchema.optional(),
    mode: z.enum(['poll', 'off']),
    intervalSeconds: z.number().int().min(5).max(86_400).optional(),
  })
  .meta({ id: 'AutoDeployUpdate' });

/** Polling auto-deploy of an app (services/polling); `infrakt serve` runs the checks. */
export function autoDeployRoutes(api: Api, _deps: RouteDeps): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/apps/{name}/auto-deploy',
      tags,
      summary: 'Polling auto-deploy of an app: mode, interval, last check',
      security,
      request: { params: nameParam, query: serverQuery },
      responses: { 200: json(autoDeployViewSchema, 'Auto-deploy'), ...ERRORS },
    }),
    async (c) =>
      c.json(await showAutoDeploy(c.var.ctx, c.req.valid('param').name, { server: c.req.valid('query').server }), 200),
  );

  api.openapi(
    createRoute({
      method: 'put',
      path: '/api/apps/{name}/auto-deploy',
      tags,
      summary: 'Poll the branch (git) or the image tag (image) every interval and deploy changes; or turn it off',
      security,
      request: {
        params: nameParam,
        body: { content: { 'application/json': { schema: autoDeployBody } }, required: true },
      },
      responses: { 200: json(autoDeployViewSchema, 'Auto-deploy'), ...ERRORS },
    }),
    async (c) => {
      const b = c.req.valid('json');
      return c.json(await setAutoDeploy(c.var.ctx, c.req.valid('param').name, b), 200);
    },
  );
}
