import { toInfraktError } from '../../core/errors.js';
import type { NotifyDeliveryView, NotifyTestResult } from '../../core/schemas/views/notifications.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import { getChannelRow } from './channels.js';
import { sendToChannel } from './send.js';

/** The delivery log, newest first (`notify deliveries`, the dashboard). */
export async function listNotifyDeliveries(
  ctx: Ctx,
  opts: { channel?: string; limit?: number } = {},
): Promise<NotifyDeliveryView[]> {
  let q = ctx.store.db
    .selectFrom('notify_deliveries')
    .innerJoin('notify_events', 'notify_events.id', 'notify_deliveries.event_id')
    .innerJoin('notify_channels', 'notify_channels.id', 'notify_deliveries.channel_id')
    .selectAll('notify_deliveries')
    .select([
      'notify_channels.name as channel',
      'notify_events.type as event',
      'notify_events.subject',
      'notify_events.payload_json',
    ])
    .orderBy('notify_deliveries.id', 'desc')
    .limit(Math.max(1, Math.min(opts.limit ?? 50, 500)));
  if (opts.channel) {
    const ch = await getChannelRow(ctx, opts.channel);
    q = q.where('notify_deliveries.channel_id', '=', ch.id);
  }
  const rows = await q.execute();
  return rows.map((r) => ({
    id: r.id,
    channel: r.channel,
    event: r.event,
    subject: r.subject,
    text: (JSON.parse(r.payload_json) as { text: string }).text,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.status === 'pending' ? r.next_attempt_at : null,
    lastError: r.last_error,
    responseCode: r.response_code,
    createdAt: r.created_at,
    deliveredAt: r.delivered_at,
  }));
}

/**
 * `notify test`: one message sent now, outside the outbox (no retry), so the answer says whether the channel
 * works as configured.
 */
export async function testChannel(
  ctx: Ctx,
  name: string,
  opts: { timeoutMs?: number } = {},
): Promise<NotifyTestResult> {
  const row = await getChannelRow(ctx, name);
  const t0 = Date.now();
  const event = {
    id: 0,
    type: 'test',
    subject: row.name,
    ts: nowIso(ctx),
    text: `infrakt test notification for channel ${row.name}`,
    data: { actor: ctx.actor },
  };
  let result: NotifyTestResult;
  try {
    const r = await sendToChannel(ctx, row, event, 0, opts.timeoutMs ?? 10_000);
    result = { channel: row.name, ok: true, responseCode: r.responseCode, error: null, ms: Date.now() - t0 };
  } catch (e) {
    const err = toInfraktError(e);
    const code = (err.details as { responseCode?: number } | undefined)?.responseCode ?? null;
    result = { channel: row.name, ok: false, responseCode: code, error: err.message, ms: Date.now() - t0 };
  }
  await audit(ctx, 'notify.test', row.name, { ok: result.ok });
  return result;
}
