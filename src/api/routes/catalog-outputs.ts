import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { appCatalogOutputsSchema } from '../../core/schemas/views/catalog.js';
import { appCatalogOutputs } from '../../services/catalog/outputs.js';
import { audit } from '../../services/shared/audit.js';
import { type Api, json, REMOTE_ERRORS, security } from '../route-kit.js';
import { nameParam } from '../schemas.js';

const tags = ['catalog'];
const serverQuery = z.object({ server: z.string().optional() });

/** An installed app's outputs at any time (the install's page): masked, or revealed on an explicit, audited POST. */
export function catalogOutputRoutes(api: Api, catalogDirs: readonly string[] = []): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/apps/{name}/catalog/outputs',
      tags,
      summary: "An installed app's outputs (URL, admin user, …) from its stored values; secret values are null",
      security,
      request: { params: nameParam, query: serverQuery },
      responses: { 200: json(appCatalogOutputsSchema, 'Outputs'), ...REMOTE_ERRORS },
    }),
    async (c) =>
      c.json(
        await appCatalogOutputs(c.var.ctx, c.req.valid('param').name, {
          server: c.req.valid('query').server,
          catalogDirs,
        }),
        200,
      ),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/apps/{name}/catalog/outputs/reveal',
      tags,
      summary: 'The same outputs with secret values (explicit; recorded in the audit log)',
      security,
      request: { params: nameParam, query: serverQuery },
      responses: { 200: json(appCatalogOutputsSchema, 'Outputs with secrets'), ...REMOTE_ERRORS },
    }),
    async (c) => {
      const name = c.req.valid('param').name;
      const r = await appCatalogOutputs(c.var.ctx, name, {
        server: c.req.valid('query').server,
        catalogDirs,
        reveal: true,
      });
      await audit(c.var.ctx, 'catalog.outputs.reveal', r.app, {
        outputs: r.outputs.filter((o) => o.secret).map((o) => o.label),
      });
      return c.json(r, 200);
    },
  );
}
