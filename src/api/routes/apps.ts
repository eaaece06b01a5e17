import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { InfraktError } from '../../core/errors.js';
import { appViewSchema } from '../../core/schemas/views/apps.js';
import { appViewOf, createApp, listApps, resolveApp, updateAppSource } from '../../services/apps/apps.js';
import { type Api, ERRORS, json, type RouteDeps, security } from '../route-kit.js';
import { appCreateBody, appUpdateBody, nameParam, serverQuery } from '../schemas.js';

const tags = ['apps'];

/**
 * App registry routes. Git sources over the API must be public https URLs (SSRF check with DNS);
 * absolute paths on the server are a CLI feature unless `infrakt serve --allow-local-git`.
 */
export function appRoutes(api: Api, deps: RouteDeps): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/apps',
      tags,
      summary: 'List apps (databases are under /api/databases)',
      security,
      request: { query: serverQuery },
      responses: { 200: json(z.array(appViewSchema), 'Apps'), ...ERRORS },
    }),
    async (c) => {
      const { server } = c.req.valid('query');
      const res = await deps.reads.json(c, `apps?server=${server ?? ''}`, () => listApps(c.var.ctx, { server }));
      return res as never; // the same JSON as c.json(listApps(...)), memoised
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/apps',
      tags,
      summary: 'Register an app on a server (does not deploy)',
      description:
        'Type: image if `image` is given, git if `git` is given, else compose. `git` must be an https URL whose host ' +
        'resolves only to public addresses; absolute server paths are refused unless the API runs with --allow-local-git.',
      security,
      request: { body: { content: { 'application/json': { schema: appCreateBody } }, required: true } },
      responses: { 201: json(appViewSchema, 'Created'), ...ERRORS },
    }),
    async (c) => {
      const input = c.req.valid('json');
      if (input.git?.startsWith('/')) {
        if (!deps.allowLocalGitPaths) {
          throw new InfraktError('VALIDATION', 'invalid git: local repository paths are not accepted over the API', {
            hint: 'use an https URL, or create the app with the CLI (or run infrakt serve --allow-local-git)',
            details: { issues: [{ field: 'git', message: 'must be an https:// URL' }] },
          });
        }
      }
      // createApp checks https sources against public addresses (with the resolver in c.var.ctx).
      const view = await createApp(c.var.ctx, input);
      c.header('Location', `/api/apps/${view.name}?server=${view.server}`);
      return c.json(view, 201);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/apps/{name}',
      tags,
      summary: 'One app (`server` disambiguates a name used on several servers)',
      security,
      request: { params: nameParam, query: serverQuery },
      responses: { 200: json(appViewSchema, 'App'), ...ERRORS },
    }),
    async (c) => {
      const { app, server } = await resolveApp(c.var.ctx, c.req.valid('param').name, c.req.valid('query').server);
      return c.json(await appViewOf(c.var.ctx, app, server.name), 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'patch',
      path: '/api/apps/{name}',
      tags,
      summary: "Change an app's source (image, branch or compose file); applied by the next deploy",
      security,
      request: {
        params: nameParam,
        body: { content: { 'application/json': { schema: appUpdateBody } }, required: true },
      },
      responses: { 200: json(appViewSchema, 'Updated'), ...ERRORS },
    }),
    async (c) => {
      const { server, ...patch } = c.req.valid('json');
      return c.json(await updateAppSource(c.var.ctx, c.req.valid('param').name, patch, server), 200);
    },
  );
}
