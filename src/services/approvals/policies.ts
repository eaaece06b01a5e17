import type { PolicyRow, ServerRow } from '../../adapters/store/schema.js';
import { InfraktError } from '../../core/errors.js';
import { parseInput } from '../../core/schemas/parse.js';
import { durationSchema } from '../../core/schemas/team.js';
import type { PolicyView } from '../../core/schemas/views/team.js';
import { principalOf } from '../shared/access.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import { APPROVAL_OPERATIONS, isApprovalOperation } from './diffs.js';

const LABEL_RE = /^[a-z0-9][a-z0-9._-]{0,62}(=[A-Za-z0-9._-]{1,63})?$/;
const DEFAULT_EXPIRY_S = 24 * 3600;

export function toPolicyView(r: PolicyRow): PolicyView {
  return {
    operation: r.operation,
    serverLabel: r.server_label || null,
    expiresAfterSeconds: r.expires_after_s,
    createdBy: r.created_by,
    createdAt: r.created_at,
  };
}

function checkOperation(op: string): string {
  if (!isApprovalOperation(op)) {
    const all = APPROVAL_OPERATIONS.join(', ');
    throw new InfraktError('VALIDATION', `invalid operation: '${op}' cannot require approval`, {
      hint: `one of: ${all}`,
      details: { issues: [{ field: 'operation', message: `must be one of ${all}` }] },
    });
  }
  return op;
}

function checkLabel(label: string | undefined | null): string {
  if (!label) return '';
  if (!LABEL_RE.test(label)) {
    throw new InfraktError('VALIDATION', 'invalid serverLabel: must be key=value or key (a-z, 0-9, . _ -)', {
      details: { issues: [{ field: 'serverLabel', message: 'must be key=value or key' }] },
    });
  }
  return label;
}

/** `policy set OP [--server-label env=prod] [--expires 24h]`: OP then needs another admin's approval. */
export async function setPolicy(
  ctx: Ctx,
  input: { operation: string; serverLabel?: string | null; expires?: string },
): Promise<PolicyView> {
  const operation = checkOperation(input.operation);
  const label = checkLabel(input.serverLabel);
  const expires = input.expires ? parseInput(durationSchema, input.expires, 'expires') / 1000 : DEFAULT_EXPIRY_S;
  const row = {
    operation,
    server_label: label,
    expires_after_s: Math.round(expires),
    created_by: principalOf(ctx).name,
    created_at: nowIso(ctx),
  };
  await ctx.store.db
    .insertInto('policies')
    .values(row)
    .onConflict((oc) => oc.columns(['operation', 'server_label']).doUpdateSet({ expires_after_s: row.expires_after_s }))
    .execute();
  const saved = await ctx.store.db
    .selectFrom('policies')
    .selectAll()
    .where('operation', '=', operation)
    .where('server_label', '=', label)
    .executeTakeFirstOrThrow();
  await audit(ctx, 'policy.set', operation, { serverLabel: label || null, expiresAfterSeconds: saved.expires_after_s });
  return toPolicyView(saved);
}

export async function listPolicies(ctx: Ctx): Promise<PolicyView[]> {
  const rows = await ctx.store.db
    .selectFrom('policies')
    .selectAll()
    .orderBy('operation')
    .orderBy('server_label')
    .execute();
  return rows.map(toPolicyView);
}

export async function unsetPolicy(ctx: Ctx, input: { operation: string; serverLabel?: string | null }) {
  const operation = checkOperation(input.operation);
  const label = checkLabel(input.serverLabel);
  const r = await ctx.store.db
    .deleteFrom('policies')
    .where('operation', '=', operation)
    .where('server_label', '=', label)
    .executeTakeFirst();
  if (Number(r.numDeletedRows) === 0) {
    throw new InfraktError('NOT_FOUND', `no policy for ${operation}${label ? ` on servers labelled ${label}` : ''}`, {
      hint: 'list policies with: infrakt policy list',
    });
  }
  await audit(ctx, 'policy.unset', operation, { serverLabel: label || null });
  return { removed: operation, serverLabel: label || null };
}

/** A server's labels (settings_json.labels, shared with fleet-as-code): `{ env: 'prod' }`. */
export function serverLabels(server: Pick<ServerRow, 'settings_json'>): Record<string, string> {
  const s = JSON.parse(server.settings_json || '{}') as { labels?: Record<string, string> };
  return s.labels && typeof s.labels === 'object' ? s.labels : {};
}

export function labelMatches(labels: Record<string, string>, selector: string): boolean {
  if (!selector) return true;
  const eq = selector.indexOf('=');
  if (eq < 0) return selector in labels;
  return labels[selector.slice(0, eq)] === selector.slice(eq + 1);
}

/** The policy that asks for approval of this operation on this server, if any. */
export async function policyFor(ctx: Ctx, operation: string, server: Pick<ServerRow, 'settings_json'> | null) {
  const rows = await ctx.store.db.selectFrom('policies').selectAll().where('operation', '=', operation).execute();
  const labels = server ? serverLabels(server) : {};
  return rows.find((r) => labelMatches(labels, r.server_label)) ?? null;
}
