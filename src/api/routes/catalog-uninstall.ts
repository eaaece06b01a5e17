import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { catalogInstalledSchema } from '../../core/schemas/views/catalog.js';
import { jobAcceptedSchema } from '../../core/schemas/views/jobs.js';
import { listInstalled } from '../../services/catalog/installed.js';
import { prepareCatalogUninstall } from '../../services/catalog/uninstall.js';
import { type Api, isTrue, json, REMOTE_ERRORS, type RouteDeps, security } from '../route-kit.js';
import { nameParam, serverQuery } from '../schemas.js';

const tags = ['catalog'];

/**
 * What the catalog installed, and its removal (services/catalog/uninstall). Registered before the catalog's
 * `/api/catalog/{id}` so that `installed` is not read as an entry id.
 */
export function catalogUninstallRoutes(api: Api, deps: RouteDeps, catalogDirs: readonly string[] = []): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/catalog/installed',
      tags,
      summary: 'Apps installed from the catalog and host entries run on servers',
      security,
      request: { query: serverQuery },
      responses: { 200: json(z.array(catalogInstalledSchema), 'Installed entries'), ...REMOTE_ERRORS },
    }),
    async (c) => c.json(await listInstalled(c.var.ctx, { server: c.req.valid('query').server, catalogDirs }), 200),
  );

  api.openapi(
    createRoute({
      method: 'delete',
      path: '/api/catalog/installed/{name}',
      tags,
      summary:
        'Uninstall (job): a host entry runs its uninstall script; an app is destroyed like DELETE /api/apps/{name}',
      description:
        'A host entry runs its uninstall script on the server under the install’s exit-code contract; its record ' +
        'goes only when the script exits 0 (a failure keeps it, the job names the exit code). An entry without an ' +
        'uninstall script is refused before anything runs (501 UNSUPPORTED). An app installed from a compose entry ' +
        'is destroyed; its named volumes and ./ mounts go only with volumes=true (refused for host entries). ' +
        '`server` chooses among servers, `kind` between an app and a host entry of the same name.',
      security,
      request: {
        params: nameParam,
        query: serverQuery.extend({
          kind: z.enum(['compose', 'host']).optional(),
          volumes: z.enum(['true', 'false', '1', '0']).optional(),
        }),
      },
      responses: { 202: json(jobAcceptedSchema, 'Uninstall job started; follow it at Location'), ...REMOTE_ERRORS },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { plan } = await prepareCatalogUninstall(c.var.ctx, c.req.valid('param').name, {
        server: q.server,
        kind: q.kind,
        volumes: isTrue(q.volumes),
        catalogDirs,
      });
      return deps.startPlan(c, plan);
    },
  );
}
