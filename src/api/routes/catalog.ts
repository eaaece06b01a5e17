import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { entryIdSchema } from '../../core/catalog/manifest-schema.js';
import { InfraktError } from '../../core/errors.js';
import {
  appCatalogStatusSchema,
  catalogEntryDetailSchema,
  catalogEntrySummarySchema,
  catalogInstallBody,
  catalogOutputsSchema,
  catalogStackInstallBody,
  catalogStackViewSchema,
  catalogUpgradeBody,
} from '../../core/schemas/views/catalog.js';
import { jobAcceptedSchema } from '../../core/schemas/views/jobs.js';
import { isSecret } from '../../core/secret.js';
import { entryDetail, findEntry, listEntries, openCatalog } from '../../services/catalog/catalog-index.js';
import { prepareCatalogInstall } from '../../services/catalog/install.js';
import { appCatalogStatus } from '../../services/catalog/installed.js';
import { prepareStackJob } from '../../services/catalog/stack-job.js';
import { listStacks } from '../../services/catalog/stacks.js';
import { prepareCatalogUpgrade } from '../../services/catalog/upgrade.js';
import { getJob } from '../../services/jobs/job-access.js';
import { OneTimeSecrets } from '../one-time.js';
import { type Api, json, REMOTE_ERRORS, type RouteDeps, security } from '../route-kit.js';
import { jobIdParam, nameParam } from '../schemas.js';

const tags = ['catalog'];
const accepted = { 202: json(jobAcceptedSchema, 'Install job started; follow it at Location (and /events)') };

const idParam = z.object({ id: entryIdSchema });
const asStrings = (v: Record<string, string | number | boolean>) =>
  Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]));

/**
 * The catalog over HTTP: entries and stacks, installs and upgrades as jobs. Secret outputs (generated admin
 * passwords) never enter a job record: they are kept in memory for the client to claim once.
 */
export function catalogRoutes(api: Api, deps: RouteDeps, catalogDirs: readonly string[] = []): void {
  const outputs = new OneTimeSecrets();
  const keep = (jobId: string, outs: readonly { label: string; value: unknown; secret: boolean }[]) => {
    const flat: Record<string, string> = {};
    outs.forEach((o, i) => {
      flat[`${i}`] = JSON.stringify({
        label: o.label,
        secret: o.secret,
        value: isSecret(o.value) ? o.value.reveal() : String(o.value),
      });
    });
    outputs.put(jobId, flat);
  };

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/catalog',
      tags,
      summary: 'Catalog entries (newest version of each), filtered by category and search text',
      security,
      request: { query: z.object({ category: z.string().optional(), search: z.string().optional() }) },
      responses: { 200: json(z.array(catalogEntrySummarySchema), 'Entries'), ...REMOTE_ERRORS },
    }),
    (c) => c.json(listEntries(openCatalog({ catalogDirs }), c.req.valid('query')), 200),
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/catalog/stacks',
      tags,
      summary: 'Stacks: entries installed in order with shared inputs',
      security,
      responses: { 200: json(z.array(catalogStackViewSchema), 'Stacks'), ...REMOTE_ERRORS },
    }),
    (c) => c.json(listStacks(openCatalog({ catalogDirs })), 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/catalog/stacks/{name}/install',
      tags,
      summary: "Install a stack's entries in order on a server (one stack job; each entry its own job)",
      description:
        'The whole stack is validated first (a bad shared input answers 400 naming it, nothing starts). The stack ' +
        'job then installs the entries one after another, each as its own job (its id in the step detail and in ' +
        'the result), and stops at the first failure. Entries already installed are skipped. Each install’s ' +
        'outputs are claimed once with POST /api/catalog/installs/{jobId}/outputs.',
      security,
      request: {
        params: z.object({ name: entryIdSchema }),
        body: { content: { 'application/json': { schema: catalogStackInstallBody } }, required: true },
      },
      responses: { 202: json(jobAcceptedSchema, 'Stack job started; follow it at Location'), ...REMOTE_ERRORS },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const plan = await prepareStackJob(
        c.var.ctx,
        c.req.valid('param').name,
        { server: b.server, values: asStrings(b.values), prefix: b.prefix, catalogDirs },
        (jobId, r) => keep(jobId, r.outputs),
      );
      return deps.startPlan(c, plan);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/catalog/{id}',
      tags,
      summary: 'One entry with its inputs (types, validation, conditions), outputs, route and requirements',
      security,
      request: { params: idParam, query: z.object({ version: z.string().optional() }) },
      responses: { 200: json(catalogEntryDetailSchema, 'Entry'), ...REMOTE_ERRORS },
    }),
    (c) => {
      const cat = openCatalog({ catalogDirs });
      return c.json(entryDetail(cat, findEntry(cat, c.req.valid('param').id, c.req.valid('query').version)), 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/catalog/{id}/install',
      tags,
      summary:
        'Install an entry on a server (job); then claim its outputs once: POST /api/catalog/installs/{id}/outputs',
      description:
        'Every input is validated before the job starts: a bad value answers 400 naming it (`details.issues[].field` ' +
        'is `inputs.<name>`). Secrets left out are generated. Compose entries become compose apps (same deploy engine).',
      security,
      request: {
        params: idParam,
        body: { content: { 'application/json': { schema: catalogInstallBody } }, required: true },
      },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const plan = await prepareCatalogInstall(c.var.ctx, {
        entry: c.req.valid('param').id,
        version: b.version,
        server: b.server,
        name: b.name,
        domain: b.domain || undefined,
        values: asStrings(b.values),
        catalogDirs,
      });
      return deps.startPlan(c, plan, (r, jobId) => keep(jobId, r.outputs));
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/apps/{name}/catalog',
      tags,
      summary:
        'The catalog entry and version an app runs, and the newest version available (null: not from the catalog)',
      security,
      request: { params: nameParam, query: z.object({ server: z.string().optional() }) },
      responses: { 200: json(appCatalogStatusSchema, 'Catalog status'), ...REMOTE_ERRORS },
    }),
    async (c) =>
      c.json(
        await appCatalogStatus(c.var.ctx, c.req.valid('param').name, {
          server: c.req.valid('query').server,
          catalogDirs,
        }),
        200,
      ),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/apps/{name}/catalog-upgrade',
      tags,
      summary: 'Upgrade an app installed from the catalog (job): health-gated, rolled back on failure',
      security,
      request: {
        params: nameParam,
        body: { content: { 'application/json': { schema: catalogUpgradeBody } }, required: false },
      },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const b = c.req.valid('json') ?? { values: {} };
      const plan = await prepareCatalogUpgrade(c.var.ctx, c.req.valid('param').name, {
        server: b.server,
        to: b.to,
        domain: b.domain,
        values: asStrings(b.values ?? {}),
        catalogDirs,
      });
      return deps.startPlan(c, plan, (r, jobId) => keep(jobId, r.outputs));
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/catalog/installs/{id}/outputs',
      tags,
      summary: 'The outputs of a finished install (URLs, admin users, generated passwords): answered once',
      security,
      request: { params: jobIdParam },
      responses: { 200: json(catalogOutputsSchema, 'Outputs, secrets included'), ...REMOTE_ERRORS },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const job = await getJob(c.var.ctx, id);
      if (job.status === 'queued' || job.status === 'running')
        throw new InfraktError('STATE', `job ${id} is still ${job.status}`, {
          hint: 'claim the outputs once it has succeeded',
        });
      const got = outputs.claim(id);
      if (!got)
        throw new InfraktError('NOT_FOUND', `no outputs to hand out for job ${id}`, {
          hint: 'they are returned once, within 15 minutes, by the API process that ran the install',
        });
      const list = Object.keys(got)
        .sort((a, b) => Number(a) - Number(b))
        .map((k) => JSON.parse(got[k]!) as { label: string; value: string; secret: boolean });
      return c.json({ outputs: list }, 200);
    },
  );
}
