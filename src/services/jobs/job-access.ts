// Which jobs a caller may read or cancel: the jobs on its servers (and of its apps, for a token made with --app).
// Every face (API, MCP, CLI, the dashboard through the API) goes through these functions, never `ctx.jobs` alone.
//
// A job that names no server (a cluster's destroy, add-node or remove-node spanning several, a cloud `server create`
// before the server exists) is shown only to callers without a server or app limit: the same rule `inScope` applies to
// any target without a server, and the one the approvals list used already. An unlimited viewer may read every
// server and app anyway, so nothing new is shown to them; a scoped caller could learn about servers outside its
// scope from such a job (a cluster's nodes, a new server's name), so it is hidden from them.
//
// A job outside the caller's scope reads as NOT_FOUND with the very message of an unknown id: its existence does
// not leak (403 would say "it exists, but not for you").
import { isUnlimited } from '../../core/access.js';
import { notFound } from '../../core/errors.js';
import type { JobLogLine, JobRecord, JobStatus } from '../../core/jobs.js';
import { principalOf } from '../shared/access.js';
import type { Ctx } from '../shared/context.js';

type JobCtx = Pick<Ctx, 'store' | 'jobs' | 'principal'>;

/** The server and app ids a scoped caller may see jobs of; null: every job. */
export interface JobScope {
  /** Null: no server limit. */
  readonly serverIds: readonly number[] | null;
  /** Null: no app limit. */
  readonly appIds: readonly number[] | null;
}

/** The caller's limits as the ids jobs record (names resolved now: a removed server's old jobs match nothing). */
export async function jobScope(ctx: Pick<Ctx, 'store' | 'principal'>): Promise<JobScope | null> {
  const p = principalOf(ctx);
  if (isUnlimited(p)) return null;
  const db = ctx.store.db;
  const serverIds = p.servers
    ? p.servers.length
      ? (
          await db
            .selectFrom('servers')
            .select('id')
            .where('name', 'in', [...p.servers])
            .execute()
        ).map((r) => r.id)
      : []
    : null;
  let appIds: number[] | null = null;
  if (p.apps) {
    let q = db
      .selectFrom('apps')
      .select('id')
      .where('name', 'in', p.apps.length ? [...p.apps] : ['']);
    if (serverIds) q = q.where('server_id', 'in', serverIds.length ? serverIds : [-1]);
    appIds = (await q.execute()).map((r) => r.id);
  }
  return { serverIds, appIds };
}

/** Whether a job with these ids is within the scope (null scope: everything). */
export function jobInScope(scope: JobScope | null, job: Pick<JobRecord, 'serverId' | 'appId'>): boolean {
  if (!scope) return true;
  if (scope.serverIds && (job.serverId === null || !scope.serverIds.includes(job.serverId))) return false;
  if (scope.appIds && (job.appId === null || !scope.appIds.includes(job.appId))) return false;
  return true;
}

/** The ids of `ids` the caller may see (for lists built from other tables, e.g. approvals). */
export async function visibleJobIds(
  ctx: Pick<Ctx, 'store' | 'principal'>,
  ids: readonly string[],
): Promise<Set<string>> {
  const scope = await jobScope(ctx);
  if (!scope) return new Set(ids);
  if (ids.length === 0) return new Set();
  const rows = await ctx.store.db
    .selectFrom('jobs')
    .select(['id', 'server_id', 'app_id'])
    .where('id', 'in', [...ids])
    .execute();
  return new Set(rows.filter((r) => jobInScope(scope, { serverId: r.server_id, appId: r.app_id })).map((r) => r.id));
}

export interface JobListFilter {
  limit?: number;
  status?: JobStatus;
  appId?: number;
  serverId?: number;
}

/** `job list`, `GET /api/jobs`, MCP `list_jobs`: newest first, only the caller's jobs (filtered in the query). */
export async function listJobs(ctx: JobCtx, filter: JobListFilter = {}): Promise<JobRecord[]> {
  const scope = await jobScope(ctx);
  return ctx.jobs.list({
    ...filter,
    ...(scope?.serverIds ? { serverIds: scope.serverIds } : {}),
    ...(scope?.appIds ? { appIds: scope.appIds } : {}),
  });
}

/** One job by id; NOT_FOUND (as for an unknown id) when it is outside the caller's scope. */
export async function getJob(ctx: JobCtx, id: string): Promise<JobRecord> {
  const job = await ctx.jobs.get(id);
  // The job store's own answer for an unknown id, word for word.
  if (!jobInScope(await jobScope(ctx), job)) throw notFound('job', id, 'list jobs with: infrakt job list');
  return job;
}

/** A job's (redacted) log lines after a cursor, once the job is known to be the caller's. */
export async function jobLogs(
  ctx: JobCtx,
  id: string,
  opts: { afterId?: number; limit?: number } = {},
): Promise<JobLogLine[]> {
  await getJob(ctx, id);
  return ctx.jobs.logs(id, opts);
}

/** Asks a job of the caller's to stop (the route/tool level says who may cancel at all). */
export async function cancelJob(ctx: JobCtx, id: string): Promise<JobRecord> {
  await getJob(ctx, id);
  return ctx.jobs.cancel(id);
}
