import type { NotifyEventType } from '../../core/schemas/notifications.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';

/** Something worth telling people about. `text` is the one-line summary every channel shows. */
export interface NotifyEvent {
  type: NotifyEventType;
  /** What it is about, e.g. `prod-1/web` or `prod-1`. */
  subject: string;
  text: string;
  /** Structured details for the generic webhook (never secret values). */
  data: Record<string, unknown>;
}

export type EventSink = Pick<Ctx, 'store' | 'clock'>;

/**
 * Records an event and queues one delivery per channel that wants it (the outbox): the caller never waits
 * for a channel, and a failing channel only delays its own deliveries. `infrakt serve` delivers and retries.
 *
 * The hook for other features: approvals (services/approvals) call
 * `raiseEvent(ctx, { type: 'approval.requested', subject, text, data })`.
 */
export async function raiseEvent(ctx: EventSink, ev: NotifyEvent): Promise<{ eventId: number; deliveries: number }> {
  const now = nowIso(ctx);
  return ctx.store.db.transaction().execute(async (trx) => {
    const { id } = await trx
      .insertInto('notify_events')
      .values({
        type: ev.type,
        subject: ev.subject,
        payload_json: JSON.stringify({ text: ev.text, data: ev.data }),
        ts: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const channels = await trx.selectFrom('notify_channels').select(['id', 'events_json']).execute();
    const wanted = channels.filter((c) => (JSON.parse(c.events_json) as string[]).includes(ev.type));
    for (const c of wanted) {
      await trx
        .insertInto('notify_deliveries')
        .values({
          event_id: id,
          channel_id: c.id,
          status: 'pending',
          attempts: 0,
          next_attempt_at: now,
          created_at: now,
        })
        .execute();
    }
    return { eventId: id, deliveries: wanted.length };
  });
}
