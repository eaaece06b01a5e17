import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { UserRow } from '../../adapters/store/schema.js';
import { InfraktError } from '../../core/errors.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import { verifyPassword } from './passwords.js';
import { endSessions } from './users.js';

/** How long a dashboard session lives: ended after `idleMs` without a request, and at `maxMs` whatever happens. */
export interface SessionPolicy {
  idleMs: number;
  maxMs: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = { idleMs: 2 * 3_600_000, maxMs: 12 * 3_600_000 };

// Refresh last_seen_at at most this often: one write per minute per session, not one per request.
const TOUCH_MS = 60_000;

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** The CSRF token of a session: derived from its secret token, so nothing more is stored and it dies with it. */
export const csrfTokenOf = (sessionToken: string): string =>
  createHmac('sha256', sessionToken).update('infrakt-csrf').digest('base64url');

export function csrfMatches(sessionToken: string, given: string | undefined): boolean {
  if (!given) return false;
  const want = Buffer.from(csrfTokenOf(sessionToken));
  const got = Buffer.from(given);
  return want.length === got.length && timingSafeEqual(want, got);
}

export interface Session {
  user: UserRow;
  via: string;
  expiresAt: string;
}

/** Checks a name and password (same cost whether or not the user exists). Null when they don't match. */
export async function checkPassword(ctx: Ctx, name: string, password: string): Promise<UserRow | null> {
  const row = /^[a-z0-9][a-z0-9-]{0,62}$/.test(name)
    ? await ctx.store.db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst()
    : undefined;
  const ok = await verifyPassword(password, row?.password_hash);
  return ok && row ? row : null;
}

/** A new session for a signed-in user: the token goes into the cookie, only its hash into the store. */
export async function createSession(
  ctx: Ctx,
  user: UserRow,
  o: { via: string; source: string; policy: SessionPolicy },
): Promise<{ token: string; expiresAt: string }> {
  const token = randomBytes(32).toString('base64url');
  const now = ctx.clock.now();
  const expiresAt = new Date(now.getTime() + o.policy.maxMs).toISOString();
  await ctx.store.db
    .insertInto('sessions')
    .values({
      id: sha256(token),
      user_id: user.id,
      via: o.via,
      source: o.source,
      created_at: now.toISOString(),
      last_seen_at: now.toISOString(),
      expires_at: expiresAt,
    })
    .execute();
  // Expired sessions of everyone are swept on the way (no timer needed).
  await ctx.store.db.deleteFrom('sessions').where('expires_at', '<=', now.toISOString()).execute();
  return { token, expiresAt };
}

/** The live session of a cookie token, refreshed; null when unknown, idle too long or past its absolute expiry. */
export async function sessionOf(ctx: Ctx, token: string, policy: SessionPolicy): Promise<Session | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
  const id = sha256(token);
  const row = await ctx.store.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) return null;
  const now = ctx.clock.now().getTime();
  const idleFor = now - Date.parse(row.last_seen_at);
  if (Date.parse(row.expires_at) <= now || idleFor > policy.idleMs) {
    await ctx.store.db.deleteFrom('sessions').where('id', '=', id).execute();
    return null;
  }
  const user = await ctx.store.db.selectFrom('users').selectAll().where('id', '=', row.user_id).executeTakeFirst();
  if (!user) return null;
  if (idleFor > TOUCH_MS) {
    await ctx.store.db
      .updateTable('sessions')
      .set({ last_seen_at: nowIso(ctx) })
      .where('id', '=', id)
      .execute();
  }
  return { user, via: row.via, expiresAt: row.expires_at };
}

export async function endSession(ctx: Ctx, token: string): Promise<void> {
  await ctx.store.db.deleteFrom('sessions').where('id', '=', sha256(token)).execute();
}

/** "Log out everywhere": every session of the signed-in user. */
export async function endAllSessions(ctx: Ctx, token: string): Promise<number> {
  const row = await ctx.store.db
    .selectFrom('sessions')
    .select('user_id')
    .where('id', '=', sha256(token))
    .executeTakeFirst();
  if (!row) throw new InfraktError('UNAUTHORIZED', 'not signed in');
  return endSessions(ctx, row.user_id);
}
