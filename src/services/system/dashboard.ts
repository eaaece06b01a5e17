import type { CountByStatus, DashboardView } from '../../core/schemas/views/dashboard.js';
import { jobScope } from '../jobs/job-access.js';
import type { Ctx } from '../shared/context.js';

const FAILING_SERVER = ['unreachable', 'auth_failed', 'host_key_mismatch', 'failed'];
const DAY_MS = 86_400_000;

function tally(rows: { status: string; n: number | bigint }[]): CountByStatus {
  const byStatus: Record<string, number> = {};
  let total = 0;
  for (const r of rows) {
    byStatus[r.status] = Number(r.n);
    total += Number(r.n);
  }
  return { total, byStatus };
}

// `in ()` is not SQL: an empty allow-list matches no row through an id that never exists.
const ids = (list: readonly number[]): number[] => (list.length ? [...list] : [-1]);

/**
 * One round of read-only queries for the dashboard's first screen: of what the caller may see (a user or token
 * limited to some servers or apps counts and lists only those, as the server, app and job lists do).
 */
export async function dashboard(ctx: Ctx, opts: { recent?: number } = {}): Promise<DashboardView> {
  const db = ctx.store.db;
  const since = new Date(ctx.clock.now().getTime() - DAY_MS).toISOString();
  const scope = await jobScope(ctx);
  const srv = scope?.serverIds ?? null;
  const only = scope?.appIds ?? null;
  // A server is shown to a caller limited to apps only through its apps (as `server list` shows it none).
  const noServers = only !== null;
  const servers = await db
    .selectFrom('servers')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .$if(srv !== null, (q) => q.where('id', 'in', ids(srv ?? [])))
    .$if(noServers, (q) => q.where('id', '=', -1))
    .groupBy('status')
    .execute();
  const apps = await db
    .selectFrom('apps')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('app_type', 'not like', 'db:%')
    .$if(srv !== null, (q) => q.where('server_id', 'in', ids(srv ?? [])))
    .$if(only !== null, (q) => q.where('id', 'in', ids(only ?? [])))
    .groupBy('status')
    .execute();
  const dbs = await db
    .selectFrom('apps')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('app_type', 'like', 'db:%')
    .$if(srv !== null, (q) => q.where('server_id', 'in', ids(srv ?? [])))
    .$if(only !== null, (q) => q.where('id', 'in', ids(only ?? [])))
    .groupBy('status')
    .execute();
  const jobs = await db
    .selectFrom('jobs')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where((eb) => eb.or([eb('status', 'in', ['running', 'queued']), eb('created_at', '>=', since)]))
    .$if(srv !== null, (q) => q.where('server_id', 'in', ids(srv ?? [])))
    .$if(only !== null, (q) => q.where('app_id', 'in', ids(only ?? [])))
    .groupBy('status')
    .execute();
  const jobCount = (s: string) => Number(jobs.find((j) => j.status === s)?.n ?? 0);

  const recent = await db
    .selectFrom('deployments')
    .innerJoin('apps', 'apps.id', 'deployments.app_id')
    .innerJoin('servers', 'servers.id', 'apps.server_id')
    .select([
      'deployments.id',
      'apps.name as app',
      'servers.name as server',
      'deployments.release',
      'deployments.action',
      'deployments.status',
      'deployments.source_ref',
      'deployments.triggered_by',
      'deployments.job_id',
      'deployments.error',
      'deployments.started_at',
      'deployments.finished_at',
    ])
    .$if(srv !== null, (q) => q.where('apps.server_id', 'in', ids(srv ?? [])))
    .$if(only !== null, (q) => q.where('apps.id', 'in', ids(only ?? [])))
    .orderBy('deployments.started_at', 'desc')
    .orderBy('deployments.id', 'desc')
    .limit(opts.recent ?? 10)
    .execute();

  const failingServers = await db
    .selectFrom('servers')
    .select(['name', 'status', 'last_error'])
    .where('status', 'in', FAILING_SERVER)
    .$if(srv !== null, (q) => q.where('id', 'in', ids(srv ?? [])))
    .$if(noServers, (q) => q.where('id', '=', -1))
    .orderBy('name')
    .execute();
  const failingApps = await db
    .selectFrom('apps')
    .innerJoin('servers', 'servers.id', 'apps.server_id')
    .select(['apps.name', 'apps.status', 'apps.app_type', 'servers.name as server'])
    .where('apps.status', '=', 'failed')
    .$if(srv !== null, (q) => q.where('apps.server_id', 'in', ids(srv ?? [])))
    .$if(only !== null, (q) => q.where('apps.id', 'in', ids(only ?? [])))
    .orderBy('apps.name')
    .execute();
  const failedJobs = await db
    .selectFrom('jobs')
    .select(['id', 'kind', 'target', 'status', 'error_message'])
    .where('status', '=', 'failed')
    .where('created_at', '>=', since)
    .$if(srv !== null, (q) => q.where('server_id', 'in', ids(srv ?? [])))
    .$if(only !== null, (q) => q.where('app_id', 'in', ids(only ?? [])))
    .orderBy('created_at', 'desc')
    .limit(10)
    .execute();

  return {
    servers: tally(servers),
    apps: tally(apps),
    databases: tally(dbs),
    jobs: { running: jobCount('running'), queued: jobCount('queued'), failedLast24h: jobCount('failed') },
    recentDeployments: recent.map((d) => ({
      id: d.id,
      app: d.app,
      server: d.server,
      release: d.release,
      action: d.action,
      status: d.status,
      sourceRef: d.source_ref,
      triggeredBy: d.triggered_by,
      jobId: d.job_id,
      error: d.error,
      startedAt: d.started_at,
      finishedAt: d.finished_at,
    })),
    failing: [
      ...failingServers.map((s) => ({
        kind: 'server' as const,
        name: s.name,
        status: s.status,
        message: s.last_error,
        jobId: null,
      })),
      ...failingApps.map((a) => ({
        kind: a.app_type.startsWith('db:') ? ('database' as const) : ('app' as const),
        name: `${a.server}/${a.name}`,
        status: a.status,
        message: null,
        jobId: null,
      })),
      ...failedJobs.map((j) => ({
        kind: 'job' as const,
        name: `${j.kind} ${j.target}`,
        status: j.status,
        message: j.error_message,
        jobId: j.id,
      })),
    ],
  };
}
