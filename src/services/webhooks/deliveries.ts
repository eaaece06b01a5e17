import type { WebhookDeliveriesTable } from '../../adapters/store/schema-push-deploy.js';
import type { WebhookDeliveryView } from '../../core/schemas/views/webhooks.js';
import { resolveApp } from '../apps/apps.js';
import type { Ctx } from '../shared/context.js';

/** Deliveries kept per app (the oldest go first). */
export const DELIVERY_LOG_SIZE = 200;

export type DeliveryRecord = Omit<WebhookDeliveriesTable, 'id'>;

/** Appends to the app's delivery log and trims it to its size. */
export async function logDelivery(ctx: Pick<Ctx, 'store'>, d: DeliveryRecord): Promise<number> {
  const { id } = await ctx.store.db
    .insertInto('webhook_deliveries')
    .values(d)
    .returning('id')
    .executeTakeFirstOrThrow();
  // Keep the newest DELIVERY_LOG_SIZE: the id just below them is the cut.
  const cut = await ctx.store.db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('app_id', '=', d.app_id)
    .orderBy('id', 'desc')
    .limit(1)
    .offset(DELIVERY_LOG_SIZE)
    .executeTakeFirst();
  if (cut) {
    await ctx.store.db
      .deleteFrom('webhook_deliveries')
      .where('app_id', '=', d.app_id)
      .where('id', '<=', cut.id)
      .execute();
  }
  return id;
}

/**
 * A delivery already handled: the same delivery id, or the same signed body under another id (the id header
 * is not signed, so a replayed body must be recognised by its content). Rejected and rate-limited attempts
 * don't count: their redelivery is welcome.
 */
export async function seenBefore(
  ctx: Pick<Ctx, 'store'>,
  appId: number,
  deliveryId: string | null,
  bodySha256: string,
): Promise<number | null> {
  const row = await ctx.store.db
    .selectFrom('webhook_deliveries')
    .select('id')
    .where('app_id', '=', appId)
    .where('outcome', 'not in', ['rejected', 'rate_limited'])
    .where((eb) =>
      eb.or([eb('body_sha256', '=', bodySha256), ...(deliveryId ? [eb('delivery_id', '=', deliveryId)] : [])]),
    )
    .orderBy('id')
    .executeTakeFirst();
  return row?.id ?? null;
}

/** `app webhook deliveries`: the log, newest first, with the status of the job each delivery started. */
export async function listWebhookDeliveries(
  ctx: Ctx,
  name: string,
  opts: { server?: string; limit?: number } = {},
): Promise<WebhookDeliveryView[]> {
  const { app } = await resolveApp(ctx, name, opts.server);
  const rows = await ctx.store.db
    .selectFrom('webhook_deliveries')
    .leftJoin('jobs', 'jobs.id', 'webhook_deliveries.job_id')
    .selectAll('webhook_deliveries')
    .select('jobs.status as job_status')
    .where('webhook_deliveries.app_id', '=', app.id)
    .orderBy('webhook_deliveries.id', 'desc')
    .limit(Math.max(1, Math.min(opts.limit ?? 50, DELIVERY_LOG_SIZE)))
    .execute();
  return rows.map((r) => ({
    id: r.id,
    provider: r.provider,
    deliveryId: r.delivery_id,
    event: r.event,
    ref: r.ref,
    commit: r.commit_sha,
    pr: r.pr_number,
    outcome: r.outcome as WebhookDeliveryView['outcome'],
    reason: r.reason,
    jobId: r.job_id,
    jobStatus: r.job_status ?? null,
    remoteAddr: r.remote_addr,
    receivedAt: r.received_at,
  }));
}
