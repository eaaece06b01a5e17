import { recordAudit } from '../audit/audit-log.js';
import type { Ctx } from './context.js';

/**
 * Records what an operation did (e.g. `app.deploy` of release 5), in the tamper-evident audit log with the acting
 * principal and source. Details must not contain secret values (they are redacted by key name as well).
 */
export async function audit(ctx: Ctx, action: string, target: string, details: Record<string, unknown> = {}) {
  await recordAudit(ctx, { action, target, params: details });
}
