import { InfraktError } from '../../core/errors.js';
import type { JobRecord } from '../../core/jobs.js';
import { prepareDestroy } from '../apps/app-lifecycle.js';
import { prepareDeploy } from '../apps/deploy/deploy-app.js';
import { prepareEnvPush } from '../apps/env-push.js';
import { prepareRollback } from '../apps/rollback.js';
import { prepareRestore } from '../databases/backups.js';
import { prepareDestroyDatabase } from '../databases/databases.js';
import { prepareProvision } from '../servers/provision.js';
import { prepareServerRemove } from '../servers/servers.js';
import type { Ctx } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import type { ApprovalOperation } from './diffs.js';

const text = (v: unknown, what: string): string => {
  if (typeof v !== 'string' || !v) throw new InfraktError('STATE', `the request has no ${what}`);
  return v;
};

async function serverName(ctx: Ctx, job: JobRecord): Promise<string | undefined> {
  if (job.serverId === null) return undefined;
  const s = await ctx.store.db.selectFrom('servers').select('name').where('id', '=', job.serverId).executeTakeFirst();
  if (!s) throw new InfraktError('STATE', `the server of request ${job.id} is gone`);
  return s.name;
}

/**
 * An approved request is prepared again from its job's params, as its requester (their rights, their name on the
 * release) — everything is validated again: the app may have changed while the request waited.
 */
const REBUILD: Record<ApprovalOperation, (ctx: Ctx, job: JobRecord) => Promise<JobPlan<unknown>>> = {
  'app.deploy': async (ctx, job) =>
    prepareDeploy(ctx, text(job.params.app, 'app'), { server: await serverName(ctx, job) }),
  'app.rollback': async (ctx, job) =>
    prepareRollback(ctx, text(job.params.app, 'app'), {
      server: await serverName(ctx, job),
      ...(typeof job.params.to === 'number' ? { to: job.params.to } : {}),
    }),
  'app.destroy': async (ctx, job) =>
    prepareDestroy(ctx, text(job.params.app, 'app'), { server: await serverName(ctx, job) }),
  'env.push': async (ctx, job) =>
    prepareEnvPush(ctx, text(job.params.app, 'app'), { server: await serverName(ctx, job) }),
  'db.restore': async (ctx, job) =>
    prepareRestore(ctx, text(job.params.database, 'database'), text(job.params.backup, 'backup'), {
      server: await serverName(ctx, job),
    }),
  'db.destroy': async (ctx, job) =>
    prepareDestroyDatabase(ctx, text(job.params.database, 'database'), { server: await serverName(ctx, job) }),
  'server.provision': async (ctx, job) => prepareProvision(ctx, text(await serverName(ctx, job), 'server')),
  'server.remove': async (ctx, job) =>
    prepareServerRemove(ctx, text(job.params.server, 'server'), { force: job.params.force === true }),
};

export function rebuildPlan(ctx: Ctx, job: JobRecord): Promise<JobPlan<unknown>> {
  const rebuild = REBUILD[job.kind as ApprovalOperation];
  if (!rebuild) throw new InfraktError('STATE', `${job.kind} cannot be run from a request`);
  return rebuild(ctx, job);
}
