import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { InfraktError } from '../../core/errors.js';
import {
  appSettingsViewSchema,
  appUpdateResultSchema,
  appViewSchema,
  deployKeyViewSchema,
} from '../../core/schemas/views/apps.js';
import { Secret } from '../../core/secret.js';
import { appSettingsView } from '../../services/apps/app-settings-view.js';
import { prepareAppUpdate } from '../../services/apps/app-update.js';
import { appViewOf, createApp, listApps, resolveApp } from '../../services/apps/apps.js';
import { deployKey } from '../../services/apps/git-access.js';
import { type Api, ERRORS, json, REMOTE_ERRORS, type RouteDeps, security } from '../route-kit.js';
import { appCreateBody, appUpdateBody, nameParam, serverQuery } from '../schemas.js';
import { accepted } from './app-job-route.js';

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
      // createApp checks network sources against public addresses (with the resolver in c.var.ctx).
      const { gitToken, ...rest } = input;
      const view = await createApp(c.var.ctx, {
        ...rest,
        ...(gitToken !== undefined ? { gitToken: new Secret(gitToken) } : {}),
      });
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
      const settings = await appSettingsView(c.var.ctx, app, server);
      return c.json(await appViewOf(c.var.ctx, app, server.name, settings.domains.slice(1)), 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/apps/{name}/settings',
      tags,
      summary:
        'What app update sets (domains, port, health, limits, volumes, release command, git access) and what is pending',
      security,
      request: { params: nameParam, query: serverQuery },
      responses: { 200: json(appSettingsViewSchema, 'Settings'), ...ERRORS },
    }),
    async (c) => {
      const { app, server } = await resolveApp(c.var.ctx, c.req.valid('param').name, c.req.valid('query').server);
      return c.json(await appSettingsView(c.var.ctx, app, server), 200);
    },
  );

  for (const method of ['get', 'post'] as const) {
    api.openapi(
      createRoute({
        method,
        path: '/api/apps/{name}/deploy-key',
        tags,
        summary:
          method === 'get'
            ? 'The public half of the app’s SSH deploy key (created on first use)'
            : 'Rotate the app’s SSH deploy key (add the new one to the git host before the next deploy)',
        security,
        request: { params: nameParam, query: serverQuery },
        responses: { 200: json(deployKeyViewSchema, 'Deploy key'), ...ERRORS },
      }),
      async (c) =>
        c.json(
          await deployKey(c.var.ctx, c.req.valid('param').name, {
            server: c.req.valid('query').server,
            rotate: method === 'post',
          }),
          200,
        ),
    );
  }

  api.openapi(
    createRoute({
      method: 'patch',
      path: '/api/apps/{name}',
      tags,
      summary: 'Change an app: domains apply at once (202 + job when it is routed), the rest at the next deploy',
      description:
        'Every field is validated first; a bad one answers 400 and nothing changes. With a live route, domain and www ' +
        'redirect changes run as a job that reloads Caddy and puts everything back if the new config does not load.',
      security,
      request: {
        params: nameParam,
        body: { content: { 'application/json': { schema: appUpdateBody } }, required: true },
      },
      responses: { 200: json(appUpdateResultSchema, 'Stored (nothing to reload)'), ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const { server, gitToken, ...patch } = c.req.valid('json');
      const token = gitToken === undefined ? undefined : gitToken === null ? null : new Secret(gitToken);
      const { plan, store } = await prepareAppUpdate(
        c.var.ctx,
        c.req.valid('param').name,
        { ...patch, gitToken: token },
        { server },
      );
      if (plan) return deps.startPlan(c, plan);
      return c.json(await store(), 200);
    },
  );
}
