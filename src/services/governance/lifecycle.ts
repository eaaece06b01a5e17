import type { JobSpec } from '../../core/jobs.js';
import {
  checkTransition,
  type Lifecycle,
  type ResourceKind,
  type ResourceState,
  type ResourceStatus,
  statusOfJob,
  TRANSITIONS,
} from '../../core/lifecycle/resources.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';

/** The resource an operation acts on: its app (or database) when it has one, else its server. */
export interface Resource {
  kind: ResourceKind;
  id: number;
  name: string;
  state: ResourceState;
}

export async function resourceOfSpec(
  ctx: Ctx,
  spec: Pick<JobSpec, 'kind' | 'appId' | 'serverId'>,
): Promise<Resource | null> {
  const declared = TRANSITIONS[spec.kind]?.resource;
  if (spec.appId !== undefined && declared !== 'server') {
    const app = await ctx.store.db
      .selectFrom('apps')
      .select(['id', 'name', 'app_type', 'state'])
      .where('id', '=', spec.appId)
      .executeTakeFirst();
    if (!app) return null;
    const kind = app.app_type.startsWith('db:') ? 'database' : 'app';
    return { kind, id: app.id, name: app.name, state: app.state as ResourceState };
  }
  if (spec.serverId !== undefined) {
    const s = await ctx.store.db
      .selectFrom('servers')
      .select(['id', 'name', 'state'])
      .where('id', '=', spec.serverId)
      .executeTakeFirst();
    return s ? { kind: 'server', id: s.id, name: s.name, state: s.state as ResourceState } : null;
  }
  return null;
}

/**
 * An app operation admitted on its server because the job creates the app (catalog and stack installs register it
 * in their first step): the app it created, found by the job's `params.app` on its server, once the body is done.
 */
export async function appCreatedBy(
  ctx: Ctx,
  spec: Pick<JobSpec, 'kind' | 'appId' | 'serverId' | 'params'>,
): Promise<Resource | null> {
  const declared = TRANSITIONS[spec.kind]?.resource;
  const name = spec.params?.app;
  if (declared === undefined || declared === 'server' || spec.appId !== undefined) return null;
  if (spec.serverId === undefined || typeof name !== 'string') return null;
  const app = await ctx.store.db
    .selectFrom('apps')
    .select(['id', 'name', 'app_type', 'state'])
    .where('server_id', '=', spec.serverId)
    .where('name', '=', name)
    .executeTakeFirst();
  if (!app) return null;
  return {
    kind: app.app_type.startsWith('db:') ? 'database' : 'app',
    id: app.id,
    name: app.name,
    state: app.state as ResourceState,
  };
}

/** The statuses of resources from their latest jobs (a server's own jobs: those of no app). */
export async function statusesOf(
  ctx: Ctx,
  kind: 'app' | 'server',
  ids: readonly number[],
): Promise<Map<number, ResourceStatus>> {
  const out = new Map<number, ResourceStatus>();
  if (ids.length === 0) return out;
  const col = kind === 'app' ? 'app_id' : 'server_id';
  let q = ctx.store.db
    .selectFrom('jobs')
    .select(['app_id', 'server_id', 'status', 'runner', 'error_code', 'created_at', 'id'])
    .where(col, 'in', [...ids]);
  if (kind === 'server') q = q.where('app_id', 'is', null);
  // Newest first; the first job seen per resource is its latest.
  const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
  for (const r of rows) {
    const id = (kind === 'app' ? r.app_id : r.server_id) as number;
    if (!out.has(id)) out.set(id, statusOfJob(r));
  }
  for (const id of ids) if (!out.has(id)) out.set(id, 'ready');
  return out;
}

export async function lifecycleOf(
  ctx: Ctx,
  kind: 'app' | 'server',
  row: { id: number; state: string },
): Promise<Lifecycle> {
  const status = (await statusesOf(ctx, kind, [row.id])).get(row.id) ?? 'ready';
  return { state: row.state as ResourceState, status };
}

/**
 * The one place transitions are checked: before any job (or local operation such as server remove) is recorded for
 * a resource, its state must allow the operation (core/lifecycle/resources.ts); else STATE with the allowed next
 * steps. Returns what the operation moves the state to, while it runs and once it succeeded.
 */
export async function admitTransition(
  ctx: Ctx,
  spec: Pick<JobSpec, 'kind' | 'appId' | 'serverId'>,
): Promise<{ resource: Resource; during?: ResourceState; to?: ResourceState } | null> {
  const resource = await resourceOfSpec(ctx, spec);
  if (!resource) return null;
  const current = await lifecycleOf(ctx, resource.kind === 'server' ? 'server' : 'app', resource);
  return { resource, ...checkTransition(resource.kind, resource.name, current, spec.kind) };
}

export async function setState(ctx: Ctx, resource: Resource, state: ResourceState | undefined): Promise<void> {
  if (!state || state === resource.state) return;
  const table = resource.kind === 'server' ? 'servers' : 'apps';
  await ctx.store.db
    .updateTable(table)
    .set({ state, updated_at: nowIso(ctx) })
    .where('id', '=', resource.id)
    .execute();
}
