import { createHash, randomBytes } from 'node:crypto';
import type { ApiTokenRow } from '../../adapters/store/schema.js';
import { atLeast, type Principal } from '../../core/access.js';
import { InfraktError, notFound } from '../../core/errors.js';
import { nameSchema } from '../../core/schemas/common.js';
import { parseInput } from '../../core/schemas/parse.js';
import { type TokenCreateInput, tokenCreateSchema } from '../../core/schemas/team.js';
import type { TokenCreated, TokenView } from '../../core/schemas/views/team.js';
import { principalOf } from '../shared/access.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';

/** Tokens look like `ikt_` + 43 base64url characters (256 bits): recognisable in a secret scanner, never guessable. */
export const TOKEN_PREFIX = 'ikt_';
const TOKEN_RE = /^ikt_[A-Za-z0-9_-]{43}$/;
// last_used_at is refreshed at most once a minute per token.
const TOUCH_MS = 60_000;

// 256 random bits need no slow hash: SHA-256 is enough to make a stolen table useless.
const hashToken = (t: string) => createHash('sha256').update(t, 'utf8').digest('hex');

export const looksLikeToken = (s: string): boolean => s.startsWith(TOKEN_PREFIX);

function statusOf(row: ApiTokenRow, now: string): TokenView['status'] {
  if (row.revoked_at) return 'revoked';
  if (row.expires_at && row.expires_at <= now) return 'expired';
  return 'active';
}

export function toTokenView(row: ApiTokenRow, now: string): TokenView {
  return {
    name: row.name,
    prefix: row.prefix,
    scope: row.scope,
    app: row.app,
    server: row.server,
    status: statusOf(row, now),
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    createdBy: row.created_by,
    createdAt: row.created_at,
  };
}

export function tokenPrincipal(row: ApiTokenRow): Principal {
  return {
    kind: 'token',
    id: `token:${row.name}`,
    name: `token ${row.name}`,
    level: row.scope,
    servers: row.server ? [row.server] : null,
    apps: row.app ? [row.app] : null,
  };
}

/** `token create`: the secret is returned this once; the store keeps its SHA-256. */
export async function createToken(ctx: Ctx, input: TokenCreateInput): Promise<TokenCreated> {
  const data = parseInput(tokenCreateSchema, input, 'token');
  const creator = principalOf(ctx);
  // Nobody hands out more than they have.
  if (!atLeast(creator.level, data.scope))
    throw new InfraktError('FORBIDDEN', `${creator.name} may not create a ${data.scope} token`);
  const exists = await ctx.store.db
    .selectFrom('api_tokens')
    .select('id')
    .where('name', '=', data.name)
    .executeTakeFirst();
  if (exists) {
    throw new InfraktError('CONFLICT', `a token named '${data.name}' already exists`, {
      hint: `revoke it first (infrakt token revoke ${data.name}) or choose another name`,
    });
  }
  if (data.server) {
    const s = await ctx.store.db.selectFrom('servers').select('id').where('name', '=', data.server).executeTakeFirst();
    if (!s) throw notFound('server', data.server, 'list servers with: infrakt server list');
  }
  if (data.app) {
    let q = ctx.store.db
      .selectFrom('apps')
      .innerJoin('servers', 'servers.id', 'apps.server_id')
      .select('apps.id')
      .where('apps.name', '=', data.app);
    if (data.server) q = q.where('servers.name', '=', data.server);
    if (!(await q.executeTakeFirst())) throw notFound('app', data.app, 'list apps with: infrakt app list');
  }
  const secret = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const now = ctx.clock.now();
  const row = await ctx.store.db
    .insertInto('api_tokens')
    .values({
      name: data.name,
      token_hash: hashToken(secret),
      prefix: secret.slice(0, 12),
      scope: data.scope,
      app: data.app ?? null,
      server: data.server ?? null,
      expires_at: data.expires === undefined ? null : new Date(now.getTime() + data.expires).toISOString(),
      created_by: creator.name,
      created_at: now.toISOString(),
      last_used_at: null,
      revoked_at: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await audit(ctx, 'token.create', row.name, {
    scope: row.scope,
    app: row.app,
    server: row.server,
    expires: row.expires_at,
  });
  return { token: toTokenView(row, now.toISOString()), secret };
}

export async function listTokens(ctx: Ctx): Promise<TokenView[]> {
  const now = nowIso(ctx);
  const rows = await ctx.store.db.selectFrom('api_tokens').selectAll().orderBy('name').execute();
  return rows.map((r) => toTokenView(r, now));
}

/** `token revoke`: refused at once on every later request. The row stays (its last use, who made it). */
export async function revokeToken(ctx: Ctx, name: string): Promise<TokenView> {
  const row = await ctx.store.db
    .selectFrom('api_tokens')
    .selectAll()
    .where('name', '=', parseInput(nameSchema, name, 'token name'))
    .executeTakeFirst();
  if (!row) throw notFound('token', name, 'list tokens with: infrakt token list');
  if (row.revoked_at) throw new InfraktError('STATE', `token ${name} is already revoked`);
  const now = nowIso(ctx);
  await ctx.store.db.updateTable('api_tokens').set({ revoked_at: now }).where('id', '=', row.id).execute();
  await audit(ctx, 'token.revoke', row.name);
  return toTokenView({ ...row, revoked_at: now }, now);
}

/**
 * The token's row when it is live; FORBIDDEN naming why not (unknown, revoked, expired) — never echoing the token.
 * Refreshes last_used_at (at most once a minute).
 */
export async function authenticateToken(ctx: Ctx, secret: string): Promise<ApiTokenRow> {
  const row = TOKEN_RE.test(secret)
    ? await ctx.store.db
        .selectFrom('api_tokens')
        .selectAll()
        .where('token_hash', '=', hashToken(secret))
        .executeTakeFirst()
    : undefined;
  const now = nowIso(ctx);
  if (!row) throw new InfraktError('FORBIDDEN', 'invalid API token', { hint: 'list tokens with: infrakt token list' });
  const status = statusOf(row, now);
  if (status !== 'active') {
    throw new InfraktError('FORBIDDEN', `API token ${row.name} is ${status}`, {
      hint: `create a new one: infrakt token create --name ${row.name}-2 --scope ${row.scope}`,
    });
  }
  if (!row.last_used_at || Date.parse(now) - Date.parse(row.last_used_at) > TOUCH_MS) {
    await ctx.store.db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute();
  }
  return row;
}
