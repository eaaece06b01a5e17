import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { domainSchema, envKeySchema, envValueSchema, nameSchema } from '../../core/schemas/common.js';
import { previewSettingsViewSchema, previewViewSchema } from '../../core/schemas/views/previews.js';
import { configurePreviews, listPreviews, showPreviewSettings } from '../../services/previews/settings.js';
import { type Api, ERRORS, json, type RouteDeps, security } from '../route-kit.js';
import { nameParam, serverQuery } from '../schemas.js';

const tags = ['previews'];

const settingsBody = z
  .object({
    server: nameSchema.optional(),
    enable: z.boolean().optional(),
    disable: z.boolean().optional(),
    domain: domainSchema.optional().describe('Previews are served at pr-<n>.<domain>'),
    max: z.number().int().min(1).max(50).optional(),
    env: z.record(envKeySchema, envValueSchema).optional().describe('Overrides of the app variables in previews'),
    unsetEnv: z.array(envKeySchema).optional(),
  })
  .meta({ id: 'PreviewSettingsUpdate' });

/** Pull request previews of an app (services/previews); they are created by webhook deliveries. */
export function previewRoutes(api: Api, _deps: RouteDeps): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/apps/{name}/previews',
      tags,
      summary: 'Previews of an app: pull request, preview app, URL, commit, status',
      security,
      request: { params: nameParam, query: serverQuery },
      responses: { 200: json(z.array(previewViewSchema), 'Previews'), ...ERRORS },
    }),
    async (c) =>
      c.json(await listPreviews(c.var.ctx, c.req.valid('param').name, { server: c.req.valid('query').server }), 200),
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/apps/{name}/previews/settings',
      tags,
      summary: 'Preview settings of an app (override values are never shown)',
      security,
      request: { params: nameParam, query: serverQuery },
      responses: { 200: json(previewSettingsViewSchema, 'Settings'), ...ERRORS },
    }),
    async (c) =>
      c.json(
        await showPreviewSettings(c.var.ctx, c.req.valid('param').name, { server: c.req.valid('query').server }),
        200,
      ),
  );

  api.openapi(
    createRoute({
      method: 'put',
      path: '/api/apps/{name}/previews/settings',
      tags,
      summary: 'Enable, disable or change previews and their variable overrides (all or nothing)',
      security,
      request: {
        params: nameParam,
        body: { content: { 'application/json': { schema: settingsBody } }, required: true },
      },
      responses: { 200: json(previewSettingsViewSchema, 'Settings'), ...ERRORS },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const view = await configurePreviews(c.var.ctx, c.req.valid('param').name, {
        ...b,
        env: b.env ? Object.entries(b.env).map(([k, v]) => `${k}=${v}`) : undefined,
      });
      return c.json(view, 200);
    },
  );
}
