import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { InfraktError } from '../../core/errors.js';
import { parseRetention } from '../../core/schemas/backup-target.js';
import { nameSchema } from '../../core/schemas/common.js';
import { dbSnapshotListSchema } from '../../core/schemas/views/backups.js';
import { backupListSchema, credentialsSchema, databaseViewSchema } from '../../core/schemas/views/databases.js';
import { jobAcceptedSchema } from '../../core/schemas/views/jobs.js';
import {
  listDbSnapshots,
  prepareOffsiteBackup,
  prepareRestoreFromTarget,
} from '../../services/backup-targets/db-offsite.js';
import { listBackups, prepareBackup, prepareRestore } from '../../services/databases/backups.js';
import { prepareSchedule } from '../../services/databases/backups-schedule.js';
import {
  getDatabase,
  listDatabases,
  prepareCreateDatabase,
  prepareDestroyDatabase,
} from '../../services/databases/databases.js';
import { getJob } from '../../services/jobs/job-access.js';
import { type Api, json, REMOTE_ERRORS, type RouteDeps, security } from '../route-kit.js';
import { jobIdParam, nameParam, serverQuery } from '../schemas.js';
import { backupBody, databaseCreateBody, restoreBody, scheduleBody } from '../schemas-db.js';

const tags = ['databases'];
const accepted = { 202: json(jobAcceptedSchema, 'Job started; follow it at Location') };
const body = <S extends z.ZodType>(schema: S, required = true) => ({
  content: { 'application/json': { schema } },
  required,
});

/** Databases (`infrakt db …`). The password of a new database is never stored: claim it once after the job. */
export function databaseRoutes(api: Api, deps: RouteDeps): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/databases',
      tags,
      summary: 'List databases',
      security,
      request: { query: serverQuery },
      responses: { 200: json(z.array(databaseViewSchema), 'Databases'), ...REMOTE_ERRORS },
    }),
    async (c) => c.json(await listDatabases(c.var.ctx, c.req.valid('query')), 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/databases',
      tags,
      summary: 'Create a database (job); then claim its connection string once: POST /api/jobs/{id}/credentials',
      description:
        'The password is generated on the server side of infrakt and never stored. When the job has succeeded, ' +
        'POST /api/jobs/{id}/credentials returns the connection strings once (kept in memory for 15 minutes). ' +
        'With `saveToEnv` they go into that app\u2019s encrypted env instead.',
      security,
      request: { body: body(databaseCreateBody) },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const plan = await prepareCreateDatabase(c.var.ctx, c.req.valid('json'));
      return deps.startPlan(c, plan, (r, jobId) => {
        const creds: Record<string, string> = {};
        if (r.connectionString) creds.connectionString = r.connectionString.reveal();
        if (r.networkConnectionString) creds.networkConnectionString = r.networkConnectionString.reveal();
        if (Object.keys(creds).length) deps.secrets.put(jobId, creds);
      });
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/jobs/{id}/credentials',
      tags,
      summary: 'The connection strings of a database created by this job: answered once, then forgotten',
      security,
      request: { params: jobIdParam },
      responses: { 200: json(credentialsSchema, 'Connection strings'), ...REMOTE_ERRORS },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const job = await getJob(c.var.ctx, id);
      if (job.status === 'queued' || job.status === 'running') {
        throw new InfraktError('STATE', `job ${id} is still ${job.status}`, {
          hint: 'wait for it to succeed (GET /api/jobs/{id}/events), then claim the credentials',
        });
      }
      const creds = deps.secrets.claim(id);
      if (!creds) {
        throw new InfraktError('NOT_FOUND', `no credentials to hand out for job ${id}`, {
          hint: 'they are returned once, within 15 minutes, by the API process that ran the job',
        });
      }
      return c.json(creds, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/databases/{name}',
      tags,
      summary: 'One database',
      security,
      request: { params: nameParam, query: serverQuery },
      responses: { 200: json(databaseViewSchema, 'Database'), ...REMOTE_ERRORS },
    }),
    async (c) => c.json(await getDatabase(c.var.ctx, c.req.valid('param').name, c.req.valid('query').server), 200),
  );

  api.openapi(
    createRoute({
      method: 'delete',
      path: '/api/databases/{name}',
      tags,
      summary: 'Destroy a database: containers and volume (all data) removed; backups kept',
      security,
      request: { params: nameParam, query: serverQuery },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) =>
      deps.startPlan(c, await prepareDestroyDatabase(c.var.ctx, c.req.valid('param').name, c.req.valid('query'))),
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/databases/{name}/backups',
      tags,
      summary: 'Backups on the server (newest first) and the last manual and scheduled results',
      security,
      request: { params: nameParam, query: serverQuery },
      responses: { 200: json(backupListSchema, 'Backups'), ...REMOTE_ERRORS },
    }),
    async (c) => c.json(await listBackups(c.var.ctx, c.req.valid('param').name, c.req.valid('query')), 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/databases/{name}/backups',
      tags,
      summary: 'Take a backup now (dump, verify, checksum, prune to `keep`)',
      security,
      request: { params: nameParam, query: serverQuery, body: body(backupBody, false) },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const { keep, target, keepDaily, keepWeekly, keepMonthly } = c.req.valid('json') ?? {};
      const { server } = c.req.valid('query');
      const opts = { server, keep };
      const retention = parseRetention({ daily: keepDaily, weekly: keepWeekly, monthly: keepMonthly });
      if (retention && !target) throw new InfraktError('VALIDATION', 'keepDaily/keepWeekly/keepMonthly go with target');
      const name = c.req.valid('param').name;
      if (target) return deps.startPlan(c, await prepareOffsiteBackup(c.var.ctx, name, { ...opts, target, retention }));
      return deps.startPlan(c, await prepareBackup(c.var.ctx, name, opts));
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/databases/{name}/restore',
      tags,
      summary: 'Verify a backup, then restore it into the running database',
      security,
      request: { params: nameParam, query: serverQuery, body: body(restoreBody) },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const { backup, fromTarget, snapshot } = c.req.valid('json');
      const name = c.req.valid('param').name;
      if (fromTarget) {
        if (backup) throw new InfraktError('VALIDATION', 'give backup or fromTarget, not both');
        const plan = await prepareRestoreFromTarget(c.var.ctx, name, {
          ...c.req.valid('query'),
          target: fromTarget,
          ...(snapshot ? { snapshot } : {}),
        });
        return deps.startPlan(c, plan);
      }
      if (!backup) throw new InfraktError('VALIDATION', 'backup (a file name) or fromTarget is required');
      return deps.startPlan(c, await prepareRestore(c.var.ctx, name, backup, c.req.valid('query')));
    },
  );

  api.openapi(
    createRoute({
      method: 'put',
      path: '/api/databases/{name}/schedule',
      tags,
      summary: 'Set (cron) or remove (null) the backup schedule on the server',
      security,
      request: { params: nameParam, query: serverQuery, body: body(scheduleBody) },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const { cron, keep, target, keepDaily, keepWeekly, keepMonthly } = c.req.valid('json');
      const { server } = c.req.valid('query');
      const retention = parseRetention({ daily: keepDaily, weekly: keepWeekly, monthly: keepMonthly });
      const plan = await prepareSchedule(c.var.ctx, c.req.valid('param').name, {
        cron,
        server,
        keep,
        ...(target ? { offsite: { target, retention } } : {}),
      });
      return deps.startPlan(c, plan);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/databases/{name}/snapshots',
      tags,
      summary: 'Snapshots of the database on an off-site target (every host), newest first',
      security,
      request: {
        params: nameParam,
        query: serverQuery.extend({ target: nameSchema }),
      },
      responses: {
        200: json(dbSnapshotListSchema, 'Snapshots'),
        ...REMOTE_ERRORS,
      },
    }),
    async (c) => {
      const { server, target } = c.req.valid('query');
      return c.json(
        await listDbSnapshots(c.var.ctx, c.req.valid('param').name, { ...(server ? { server } : {}), target }),
        200,
      );
    },
  );
}
