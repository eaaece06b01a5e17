import { createHash } from 'node:crypto';
import type { AuditRow } from '../../adapters/store/schema.js';
import type { Db } from '../../adapters/store/store.js';
import type { PrincipalKind } from '../../core/access.js';
import { redactParams } from '../../core/audit/redact.js';
import type { AuditEntry, AuditVerify } from '../../core/schemas/views/team.js';
import { principalOf } from '../shared/access.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';

export interface AuditInput {
  action: string;
  target: string;
  params?: Record<string, unknown>;
  /** `ok`, an error code, or an HTTP status with its code (`403 FORBIDDEN`). */
  result?: string;
  /** Who, when not the context's principal (e.g. a failed sign-in names the user it tried). */
  actor?: { kind: PrincipalKind | 'anonymous'; name: string };
}

const GENESIS = '0'.repeat(64);

type Chained = Pick<
  AuditRow,
  'seq' | 'ts' | 'actor_kind' | 'actor' | 'action' | 'target' | 'details_json' | 'result' | 'source'
>;

/** Each entry's hash covers its fields and the previous entry's hash: changing or removing one breaks the chain. */
export function entryHash(prev: string, e: Chained): string {
  const fields = [e.seq, e.ts, e.actor_kind, e.actor, e.action, e.target, e.details_json, e.result, e.source];
  return createHash('sha256')
    .update(`${prev}\n${JSON.stringify(fields)}`)
    .digest('hex');
}

/**
 * Entries written before the chain existed (an upgraded database) are sealed into it once, on the first write:
 * only while no entry has a hash yet, so a hash removed later is reported by verify, never re-sealed.
 */
async function sealLegacy(db: Db): Promise<void> {
  const sealed = await db.selectFrom('audit_events').select('id').where('hash', 'is not', null).limit(1).execute();
  if (sealed.length) return;
  const rows = await db.selectFrom('audit_events').selectAll().orderBy('seq').orderBy('id').execute();
  let prev = GENESIS;
  let seq = 0;
  for (const r of rows) {
    seq += 1;
    const hash = entryHash(prev, { ...r, seq });
    await db.updateTable('audit_events').set({ seq, prev_hash: prev, hash }).where('id', '=', r.id).execute();
    prev = hash;
  }
}

/**
 * Appends an entry to the tamper-evident log: one writer at a time (the store's exclusive transaction on
 * `audit`, across processes), sequence number and hash taken from the last entry.
 */
export async function recordAudit(ctx: Ctx, input: AuditInput): Promise<void> {
  const p = principalOf(ctx);
  const actor = input.actor ?? { kind: p.kind, name: ctx.principal ? p.name : ctx.actor };
  await ctx.store.exclusive('audit', async (db) => {
    await sealLegacy(db);
    const last = await db
      .selectFrom('audit_events')
      .select(['seq', 'hash'])
      .where('seq', 'is not', null)
      .orderBy('seq', 'desc')
      .limit(1)
      .executeTakeFirst();
    const entry: Chained = {
      seq: (last?.seq ?? 0) + 1,
      ts: nowIso(ctx),
      actor_kind: actor.kind,
      actor: actor.name,
      action: input.action,
      target: input.target,
      details_json: JSON.stringify(redactParams(input.params ?? {})),
      result: input.result ?? 'ok',
      source: ctx.source ?? 'local',
    };
    const prev = last?.hash ?? GENESIS;
    await db
      .insertInto('audit_events')
      .values({ ...entry, prev_hash: prev, hash: entryHash(prev, entry) })
      .execute();
  });
}

export function toAuditEntry(r: AuditRow): AuditEntry {
  let params: Record<string, unknown> = {};
  try {
    params = JSON.parse(r.details_json) as Record<string, unknown>;
  } catch {
    params = { unparsable: r.details_json.slice(0, 200) };
  }
  return {
    seq: r.seq,
    ts: r.ts,
    actorKind: r.actor_kind,
    actor: r.actor,
    action: r.action,
    target: r.target,
    params,
    result: r.result,
    source: r.source,
    hash: r.hash,
  };
}

export interface AuditQuery {
  actor?: string;
  target?: string;
  action?: string;
  /** ISO time: entries at or after it. */
  since?: string;
  limit?: number;
}

/** `audit list`: newest first; actor/target/action match exactly or as a prefix ending in `*`. */
export async function listAudit(ctx: Ctx, q: AuditQuery = {}): Promise<AuditEntry[]> {
  let query = ctx.store.db.selectFrom('audit_events').selectAll();
  const match = (col: 'actor' | 'target' | 'action', v: string | undefined) => {
    if (!v) return;
    query = v.endsWith('*')
      ? query.where(col, 'like', `${v.slice(0, -1).replace(/[%_]/g, '')}%`)
      : query.where(col, '=', v);
  };
  match('actor', q.actor);
  match('target', q.target);
  match('action', q.action);
  if (q.since) query = query.where('ts', '>=', q.since);
  const rows = await query
    .orderBy('seq', 'desc')
    .orderBy('id', 'desc')
    .limit(Math.max(1, Math.min(q.limit ?? 100, 10_000)))
    .execute();
  return rows.map(toAuditEntry);
}

/**
 * `audit verify`: walks the chain from the start. Reports the first entry whose hash does not match its content
 * (altered), or where the sequence skips or the link to the previous hash breaks (missing), and the head hash —
 * keep it somewhere else to detect the newest entries being cut off too.
 */
export async function verifyAudit(ctx: Ctx): Promise<AuditVerify> {
  const rows = await ctx.store.db.selectFrom('audit_events').selectAll().orderBy('seq').orderBy('id').execute();
  const sealed = rows.filter((r) => r.hash !== null);
  const result = (problem: AuditVerify['problem'], head: string | null): AuditVerify => ({
    ok: problem === null,
    entries: rows.length,
    unsealed: sealed.length === 0 ? rows.length : 0,
    head,
    problem,
  });
  if (sealed.length === 0) return result(null, null);
  let prev = GENESIS;
  let expect = 1;
  for (const r of rows) {
    const seq = r.seq ?? 0;
    if (r.hash === null || r.prev_hash === null)
      return result({ seq, kind: 'altered', message: `entry ${seq} has lost its hash` }, prev);
    if (seq !== expect)
      return result(
        {
          seq: expect,
          kind: 'missing',
          message: seq > expect ? `entries ${expect}–${seq - 1} are missing` : `entry ${seq} is duplicated`,
        },
        prev,
      );
    if (r.prev_hash !== prev)
      return result(
        {
          seq,
          kind: 'altered',
          message: `the chain breaks before entry ${seq}: entry ${seq - 1} was changed and re-hashed, or entries were removed and renumbered`,
        },
        prev,
      );
    if (entryHash(prev, r) !== r.hash)
      return result({ seq, kind: 'altered', message: `entry ${seq} was changed after it was written` }, prev);
    prev = r.hash;
    expect += 1;
  }
  return result(null, prev);
}
