import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import {
  appBackupListSchema,
  backupOverviewSchema,
  backupTargetViewSchema,
  targetAddedSchema,
  targetRemovedSchema,
} from '../../core/schemas/views/backups.js';
import { jobAcceptedSchema } from '../../core/schemas/views/jobs.js';
import { Secret } from '../../core/secret.js';
import { listAppBackups, prepareAppRestore } from '../../services/backup-targets/app-restore.js';
import { prepareAppBackup } from '../../services/backup-targets/app-volumes.js';
import { backupOverview } from '../../services/backup-targets/overview.js';
import { prepareTestTarget, prepareVerifyTarget } from '../../services/backup-targets/target-ops.js';
import { addTarget, listTargets, removeTarget } from '../../services/backup-targets/targets.js';
import { type Api, json, REMOTE_ERRORS, type RouteDeps, security } from '../route-kit.js';
import { nameParam, serverQuery } from '../schemas.js';
import { appBackupBody, appRestoreBody, targetAddBody } from '../schemas-backups.js';

const tags = ['backups'];
const accepted = { 202: json(jobAcceptedSchema, 'Job started; follow it at Location') };
const body = <S extends z.ZodType>(schema: S, required = true) => ({
  content: { 'application/json': { schema } },
  required,
});

/** Off-site backup targets and app volume backups. Secrets are write-only: never in any response. */
export function backupTargetRoutes(api: Api, deps: RouteDeps): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/backup-targets',
      tags,
      summary: 'List backup targets (no secret in it)',
      security,
      responses: { 200: json(z.array(backupTargetViewSchema), 'Targets'), ...REMOTE_ERRORS },
    }),
    async (c) => c.json(await listTargets(c.var.ctx), 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/backup-targets',
      tags,
      summary: 'Add a target (SFTP or S3); a repository password is generated unless given',
      security,
      request: { body: body(targetAddBody) },
      responses: {
        201: json(targetAddedSchema, 'Added'),
        ...REMOTE_ERRORS,
      },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const secret = (v: string | undefined) => (v === undefined ? {} : { value: new Secret(v) });
      const r = await addTarget(c.var.ctx, {
        name: b.name,
        ...(b.sftp !== undefined ? { sftp: b.sftp } : {}),
        ...(b.s3 !== undefined ? { s3: b.s3 } : {}),
        ...(b.fingerprint !== undefined ? { fingerprint: b.fingerprint } : {}),
        ...(b.accessKeyId !== undefined ? { accessKeyId: b.accessKeyId } : {}),
        ...(b.region !== undefined ? { region: b.region } : {}),
        ...(b.caCert !== undefined ? { caCert: b.caCert } : {}),
        allowHttp: b.allowHttp === true,
        ...(secret(b.sshKey).value ? { sshKey: secret(b.sshKey).value } : {}),
        ...(secret(b.secretAccessKey).value ? { secretAccessKey: secret(b.secretAccessKey).value } : {}),
        ...(secret(b.repoPassword).value ? { repoPassword: secret(b.repoPassword).value } : {}),
      });
      return c.json(r, 201);
    },
  );

  api.openapi(
    createRoute({
      method: 'delete',
      path: '/api/backup-targets/{name}',
      tags,
      summary: 'Forget a target (its repository is not touched); refused while a schedule uses it',
      security,
      request: { params: nameParam },
      responses: { 200: json(targetRemovedSchema, 'Removed'), ...REMOTE_ERRORS },
    }),
    async (c) => c.json(await removeTarget(c.var.ctx, c.req.valid('param').name), 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/backup-targets/{name}/test',
      tags,
      summary: 'From a server: pin the SFTP host key, open (or create) the repository, count snapshots (job)',
      security,
      request: { params: nameParam, query: serverQuery },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => deps.startPlan(c, await prepareTestTarget(c.var.ctx, c.req.valid('param').name, c.req.valid('query'))),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/backup-targets/{name}/verify',
      tags,
      summary: 'restic check with a bounded read of the data (job)',
      security,
      request: {
        params: nameParam,
        query: serverQuery,
        body: body(z.object({ readDataSubset: z.string().max(16).optional() }), false),
      },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const { readDataSubset } = c.req.valid('json') ?? {};
      const plan = await prepareVerifyTarget(c.var.ctx, c.req.valid('param').name, {
        ...c.req.valid('query'),
        ...(readDataSubset ? { readDataSubset } : {}),
      });
      return deps.startPlan(c, plan);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/backups/overview',
      tags,
      summary: 'Last local and off-site backup of every database and app (from local records, no SSH)',
      security,
      responses: { 200: json(backupOverviewSchema, 'Overview'), ...REMOTE_ERRORS },
    }),
    async (c) => c.json(await backupOverview(c.var.ctx), 200),
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/apps/{name}/backups',
      tags,
      summary: 'Snapshots of the app volumes (local repository and targets) and its last runs',
      security,
      request: { params: nameParam, query: serverQuery },
      responses: {
        200: json(appBackupListSchema, 'Backups'),
        ...REMOTE_ERRORS,
      },
    }),
    async (c) => c.json(await listAppBackups(c.var.ctx, c.req.valid('param').name, c.req.valid('query')), 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/apps/{name}/backups',
      tags,
      summary: 'Back up the app named volumes, containers paused meanwhile (job)',
      security,
      request: { params: nameParam, query: serverQuery, body: body(appBackupBody, false) },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const b = c.req.valid('json') ?? {};
      const keep = { daily: b.keepDaily, weekly: b.keepWeekly, monthly: b.keepMonthly };
      const any = Object.values(keep).some((v) => v !== undefined);
      const plan = await prepareAppBackup(c.var.ctx, c.req.valid('param').name, {
        ...c.req.valid('query'),
        ...(b.target ? { target: b.target } : {}),
        ...(any ? { retention: keep } : {}),
      });
      return deps.startPlan(c, plan);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/apps/{name}/restore',
      tags,
      summary: 'Replace the app volumes with a snapshot: stop, restore, start, health check (job)',
      security,
      request: { params: nameParam, query: serverQuery, body: body(appRestoreBody) },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const plan = await prepareAppRestore(c.var.ctx, c.req.valid('param').name, b.snapshot, {
        ...c.req.valid('query'),
        ...(b.fromTarget ? { target: b.fromTarget } : {}),
      });
      return deps.startPlan(c, plan);
    },
  );
}
