import type { Ctx } from './context.js';
import { nowIso } from './context.js';

/** Appends an audit event. Details must not contain secret values. */
export async function audit(ctx: Ctx, action: string, target: string, details: Record<string, unknown> = {}) {
  await ctx.store.db
    .insertInto('audit_events')
    .values({ ts: nowIso(ctx), actor: ctx.actor, action, target, details_json: JSON.stringify(details) })
    .execute();
}
