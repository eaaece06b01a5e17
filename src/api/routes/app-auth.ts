import { createRoute } from '@hono/zod-openapi';
import { appAuthBody, appAuthViewSchema } from '../../core/schemas/views/apps.js';
import { Secret } from '../../core/secret.js';
import { getAppAuth, parseAuthSpec, prepareAppAuth } from '../../services/apps/app-auth.js';
import { type Api, json, REMOTE_ERRORS, type RouteDeps, security } from '../route-kit.js';
import { nameParam, serverQuery } from '../schemas.js';
import { accepted } from './app-job-route.js';

const tags = ['apps'];

/**
 * Auth in front of an app's route (services/apps/app-auth): what `app update --auth` does. The basic auth
 * password arrives in the body, is hashed with bcrypt and is never returned, logged or put in a job record.
 */
export function appAuthRoutes(api: Api, deps: RouteDeps): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/apps/{name}/auth',
      tags,
      summary: "The auth in front of an app's route: none, basic (its user) or forward (its endpoint)",
      security,
      request: { params: nameParam, query: serverQuery },
      responses: { 200: json(appAuthViewSchema, 'Auth'), ...REMOTE_ERRORS },
    }),
    async (c) => c.json(await getAppAuth(c.var.ctx, c.req.valid('param').name, c.req.valid('query').server), 200),
  );

  api.openapi(
    createRoute({
      method: 'put',
      path: '/api/apps/{name}/auth',
      tags,
      summary: "Set the auth in front of an app's route: forward_auth, basic auth (bcrypt) or none",
      description:
        'When the app has a route the server’s Caddy config is re-rendered and reloaded as a job (202); a config ' +
        'that does not load puts the previous setting back. Without a route the setting is stored for the next ' +
        'deploy (200, `applied: false`).',
      security,
      request: {
        params: nameParam,
        body: { content: { 'application/json': { schema: appAuthBody } }, required: true },
      },
      responses: {
        200: json(appAuthViewSchema, 'Stored; applied by the next deploy'),
        ...accepted,
        ...REMOTE_ERRORS,
      },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const name = c.req.valid('param').name;
      // The same parser as the CLI's --auth, so both refuse the same URLs and user names with the same words.
      const req = parseAuthSpec(
        b.type === 'none' ? 'none' : b.type === 'forward' ? `forward:${b.url}` : `basic:${b.user}`,
      );
      const { plan, store } = await prepareAppAuth(c.var.ctx, name, req, {
        server: b.server,
        ...(b.type === 'basic' ? { password: new Secret(b.password) } : {}),
      });
      if (plan) return deps.startPlan(c, plan);
      await store();
      return c.json({ ...(await getAppAuth(c.var.ctx, name, b.server)), applied: false }, 200);
    },
  );
}
