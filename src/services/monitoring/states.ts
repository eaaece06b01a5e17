import type { MonitorStateRow } from '../../adapters/store/schema-push-deploy.js';
import { type Damping, nextState, type Transition } from '../../core/plans/flap.js';
import type { Ctx } from '../shared/context.js';

export type Target = { appId: number } | { serverId: number };

const column = (t: Target) => ('appId' in t ? ('app_id' as const) : ('server_id' as const));
const idOf = (t: Target) => ('appId' in t ? t.appId : t.serverId);

export async function stateOf(ctx: Pick<Ctx, 'store'>, t: Target): Promise<MonitorStateRow | null> {
  return (
    (await ctx.store.db.selectFrom('monitor_states').selectAll().where(column(t), '=', idOf(t)).executeTakeFirst()) ??
    null
  );
}

/** Records one check result: the damped state machine advances, and a transition is returned for events. */
export async function advance(
  ctx: Pick<Ctx, 'store' | 'clock'>,
  t: Target,
  result: { ok: boolean; error: string | null },
  damping: Damping,
): Promise<Transition & { previousChange: string | null }> {
  const now = ctx.clock.now().toISOString();
  const row = await stateOf(ctx, t);
  const tr = nextState(row?.state ?? 'unknown', row?.streak ?? 0, result.ok, damping);
  const changed = tr.state !== (row?.state ?? 'unknown');
  const values = {
    state: tr.state,
    streak: tr.streak,
    changed_at: changed ? now : (row?.changed_at ?? null),
    checked_at: now,
    last_error: result.ok ? null : result.error,
  };
  if (row) await ctx.store.db.updateTable('monitor_states').set(values).where('id', '=', row.id).execute();
  else {
    await ctx.store.db
      .insertInto('monitor_states')
      .values({
        app_id: 'appId' in t ? t.appId : null,
        server_id: 'serverId' in t ? t.serverId : null,
        alarms_json: '{}',
        ...values,
      })
      .execute();
  }
  return { ...tr, previousChange: row?.changed_at ?? null };
}

/** A target that is not watched any more (a stopped app) starts afresh when it comes back: no stale "up". */
export async function forget(ctx: Pick<Ctx, 'store'>, t: Target): Promise<void> {
  await ctx.store.db.deleteFrom('monitor_states').where(column(t), '=', idOf(t)).execute();
}

/**
 * `forget` for many apps in a few statements: a monitor round meets every app that is not watched (never
 * deployed, stopped), and one delete each cost the round — and the start of `infrakt serve` — a statement
 * per app.
 */
export async function forgetApps(ctx: Pick<Ctx, 'store'>, appIds: readonly number[]): Promise<void> {
  for (let i = 0; i < appIds.length; i += FORGET_CHUNK) {
    await ctx.store.db
      .deleteFrom('monitor_states')
      .where('app_id', 'in', appIds.slice(i, i + FORGET_CHUNK))
      .execute();
  }
}

// Well under SQLite's (and Postgres') limit of bound parameters per statement.
const FORGET_CHUNK = 500;

export async function setAlarms(ctx: Pick<Ctx, 'store'>, serverId: number, alarms: Record<string, unknown>) {
  await ctx.store.db
    .updateTable('monitor_states')
    .set({ alarms_json: JSON.stringify(alarms) })
    .where('server_id', '=', serverId)
    .execute();
}

/** "3m 12s" */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  return h < 48 ? `${h}h ${m % 60}m` : `${Math.floor(h / 24)}d ${h % 24}h`;
}
