import { toInfraktError } from '../../core/errors.js';
import type { Ctx } from '../shared/context.js';
import type { StoredEvent } from './messages.js';
import { sendToChannel } from './send.js';

export interface DispatchOptions {
  /** Who claims deliveries (a process label): a claim older than `claimTtlMs` is taken back. */
  runner: string;
  /** Attempts before a delivery is given up as failed (default 6). */
  maxAttempts?: number;
  /** First retry after this long, doubling each time (default 10 s; tests use milliseconds). */
  backoffMs?: number;
  /** Longest wait between two attempts (default 15 min). */
  maxBackoffMs?: number;
  /** Deadline of one attempt (default 10 s). */
  timeoutMs?: number;
  /** How many deliveries run at once (default 4): one slow channel cannot hold up the others. */
  concurrency?: number;
  /** Only deliveries of these events (the CLI delivers what its own command raised). */
  eventIds?: readonly number[];
  claimTtlMs?: number;
}

export interface DispatchReport {
  delivered: number;
  retrying: number;
  failed: number;
}

type Sink = Pick<Ctx, 'store' | 'clock' | 'cipher'>;

/** Delay before retry `attempt` (1-based): backoff, 2×, 4×, … capped. */
export function retryDelay(attempt: number, backoffMs: number, maxMs: number): number {
  return Math.min(maxMs, backoffMs * 2 ** Math.max(0, attempt - 1));
}

/**
 * Delivers every due delivery once: claimed atomically (two processes never send the same one), sent with a
 * deadline, then marked delivered, or rescheduled with backoff, or failed after the last attempt.
 */
export async function deliverDue(ctx: Sink, o: DispatchOptions): Promise<DispatchReport> {
  const now = ctx.clock.now();
  const iso = now.toISOString();
  const db = ctx.store.db;
  const ttl = o.claimTtlMs ?? 120_000;
  // A process that died mid-send leaves a claim behind: take it back after the TTL.
  await db
    .updateTable('notify_deliveries')
    .set({ status: 'pending', claimed_by: null })
    .where('status', '=', 'sending')
    .where('claimed_at', '<', new Date(now.getTime() - ttl).toISOString())
    .execute();
  let dueQuery = db
    .selectFrom('notify_deliveries')
    .select('id')
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', iso);
  if (o.eventIds?.length) dueQuery = dueQuery.where('event_id', 'in', [...o.eventIds]);
  const due = await dueQuery.orderBy('next_attempt_at').orderBy('id').limit(200).execute();
  // Each claim is one conditional UPDATE: of two processes (SQLite or Postgres), exactly one sees its row change.
  const claim = async (id: number) =>
    (
      await db
        .updateTable('notify_deliveries')
        .set({ status: 'sending', claimed_by: o.runner, claimed_at: iso })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .executeTakeFirst()
    ).numUpdatedRows === 1n;
  const report: DispatchReport = { delivered: 0, retrying: 0, failed: 0 };
  const queue: number[] = [];
  for (const { id } of due) if (await claim(id)) queue.push(id);
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      const outcome = await deliverOne(ctx, id, o);
      report[outcome]++;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.concurrency ?? 4) }, worker));
  return report;
}

async function deliverOne(ctx: Sink, id: number, o: DispatchOptions): Promise<keyof DispatchReport> {
  const db = ctx.store.db;
  const d = await db
    .selectFrom('notify_deliveries')
    .innerJoin('notify_events', 'notify_events.id', 'notify_deliveries.event_id')
    .innerJoin('notify_channels', 'notify_channels.id', 'notify_deliveries.channel_id')
    .select([
      'notify_deliveries.attempts',
      'notify_events.id as event_id',
      'notify_events.type as event_type',
      'notify_events.subject',
      'notify_events.payload_json',
      'notify_events.ts',
    ])
    .selectAll('notify_channels')
    .where('notify_deliveries.id', '=', id)
    .executeTakeFirst();
  if (!d) return 'failed'; // channel removed meanwhile: its deliveries went with it
  const { attempts, event_id, event_type, subject, payload_json, ts, ...channel } = d;
  const payload = JSON.parse(payload_json) as { text: string; data: Record<string, unknown> };
  const event: StoredEvent = { id: event_id, type: event_type, subject, ts, ...payload };
  const attempt = attempts + 1;
  try {
    const r = await sendToChannel(ctx, channel, event, id, o.timeoutMs ?? 10_000);
    await db
      .updateTable('notify_deliveries')
      .set({
        status: 'delivered',
        attempts: attempt,
        delivered_at: ctx.clock.now().toISOString(),
        response_code: r.responseCode,
        last_error: null,
        claimed_by: null,
      })
      .where('id', '=', id)
      .execute();
    return 'delivered';
  } catch (e) {
    const err = toInfraktError(e);
    const code = (err.details as { responseCode?: number } | undefined)?.responseCode ?? null;
    const last = attempt >= (o.maxAttempts ?? 6);
    const next = new Date(
      ctx.clock.now().getTime() + retryDelay(attempt, o.backoffMs ?? 10_000, o.maxBackoffMs ?? 15 * 60_000),
    );
    await db
      .updateTable('notify_deliveries')
      .set({
        status: last ? 'failed' : 'pending',
        attempts: attempt,
        next_attempt_at: next.toISOString(),
        last_error: err.message.slice(0, 500),
        response_code: code,
        claimed_by: null,
      })
      .where('id', '=', id)
      .execute();
    return last ? 'failed' : 'retrying';
  }
}

/** Forgets events (and their deliveries) older than `keepMs`: the log is for recent history. */
export async function pruneNotifications(ctx: Sink, keepMs: number): Promise<void> {
  const cutoff = new Date(ctx.clock.now().getTime() - keepMs).toISOString();
  await ctx.store.db
    .deleteFrom('notify_events')
    .where('ts', '<', cutoff)
    .where('id', 'not in', (eb) =>
      eb.selectFrom('notify_deliveries').select('event_id').where('status', 'in', ['pending', 'sending']),
    )
    .execute();
}
