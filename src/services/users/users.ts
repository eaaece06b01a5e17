import type { UserRow } from '../../adapters/store/schema.js';
import { type Principal, ROLE_LEVEL } from '../../core/access.js';
import { InfraktError, notFound } from '../../core/errors.js';
import { nameSchema } from '../../core/schemas/common.js';
import { parseInput } from '../../core/schemas/parse.js';
import {
  passwordSchema,
  type UserAddInput,
  type UserUpdateInput,
  userAddSchema,
  userUpdateSchema,
} from '../../core/schemas/team.js';
import type { UserView } from '../../core/schemas/views/team.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import { hashPassword } from './passwords.js';

const serversOf = (row: Pick<UserRow, 'servers_json'>): string[] | null =>
  row.servers_json ? (JSON.parse(row.servers_json) as string[]) : null;

/** A user's rights: their role's level, limited to their servers. */
export function userPrincipal(row: UserRow): Principal {
  return {
    kind: 'user',
    id: `user:${row.name}`,
    name: row.name,
    level: ROLE_LEVEL[row.role],
    servers: serversOf(row),
    apps: null,
  };
}

export async function toUserView(ctx: Ctx, row: UserRow): Promise<UserView> {
  const sessions = await ctx.store.db
    .selectFrom('sessions')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('user_id', '=', row.id)
    .where('expires_at', '>', nowIso(ctx))
    .executeTakeFirstOrThrow();
  return {
    name: row.name,
    role: row.role,
    servers: serversOf(row),
    email: row.email,
    password: row.password_hash !== null,
    sessions: Number(sessions.n),
    createdAt: row.created_at,
  };
}

export async function userRow(ctx: Ctx, name: string): Promise<UserRow> {
  const row = await ctx.store.db
    .selectFrom('users')
    .selectAll()
    .where('name', '=', parseInput(nameSchema, name, 'user name'))
    .executeTakeFirst();
  if (!row) throw notFound('user', name, 'list users with: infrakt user list');
  return row;
}

async function checkServers(ctx: Ctx, servers: readonly string[] | undefined | null): Promise<string | null> {
  if (!servers?.length) return null;
  const known = await ctx.store.db.selectFrom('servers').select('name').where('name', 'in', servers).execute();
  const missing = servers.filter((s) => !known.some((k) => k.name === s));
  if (missing.length) {
    throw new InfraktError('NOT_FOUND', `server '${missing[0]}' not found`, {
      hint: 'list servers with: infrakt server list',
      details: { issues: [{ field: 'servers', message: `unknown server ${missing[0]}` }] },
    });
  }
  return JSON.stringify([...new Set(servers)].sort());
}

async function checkEmailFree(ctx: Ctx, email: string | null | undefined, except?: number): Promise<void> {
  if (!email) return;
  const clash = await ctx.store.db
    .selectFrom('users')
    .select(['id', 'name'])
    .where('email', '=', email)
    .executeTakeFirst();
  if (clash && clash.id !== except)
    throw new InfraktError('CONFLICT', `email ${email} already belongs to user '${clash.name}'`);
}

/** `user add`: validation first (nothing is written on bad input); the password is hashed with scrypt. */
export async function addUser(ctx: Ctx, input: UserAddInput): Promise<UserView> {
  const data = parseInput(userAddSchema, input, 'user');
  const exists = await ctx.store.db.selectFrom('users').select('id').where('name', '=', data.name).executeTakeFirst();
  if (exists) {
    throw new InfraktError('CONFLICT', `a user named '${data.name}' already exists`, {
      hint: `change it with: infrakt user set ${data.name} / infrakt user passwd ${data.name}`,
    });
  }
  const servers = await checkServers(ctx, data.servers);
  await checkEmailFree(ctx, data.email);
  const now = nowIso(ctx);
  const row = await ctx.store.db
    .insertInto('users')
    .values({
      name: data.name,
      role: data.role,
      servers_json: servers,
      email: data.email ?? null,
      password_hash: data.password === undefined ? null : await hashPassword(data.password),
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await audit(ctx, 'user.add', row.name, {
    role: row.role,
    servers: serversOf(row),
    password: row.password_hash !== null,
  });
  return toUserView(ctx, row);
}

export async function listUsers(ctx: Ctx): Promise<UserView[]> {
  const rows = await ctx.store.db.selectFrom('users').selectAll().orderBy('name').execute();
  return Promise.all(rows.map((r) => toUserView(ctx, r)));
}

/** `user set`: role, servers, email. A change of rights ends the user's sessions (they sign in again). */
export async function updateUser(ctx: Ctx, name: string, input: UserUpdateInput): Promise<UserView> {
  const row = await userRow(ctx, name);
  const data = parseInput(userUpdateSchema, input, 'user');
  const set: Partial<UserRow> = {};
  if (data.role !== undefined) set.role = data.role;
  if (data.servers !== undefined) set.servers_json = await checkServers(ctx, data.servers);
  if (data.email !== undefined) {
    await checkEmailFree(ctx, data.email, row.id);
    set.email = data.email;
  }
  if (Object.keys(set).length === 0)
    throw new InfraktError('VALIDATION', 'nothing to change', { hint: 'pass --role, --servers or --email' });
  await ctx.store.db
    .updateTable('users')
    .set({ ...set, updated_at: nowIso(ctx) })
    .where('id', '=', row.id)
    .execute();
  if (set.role !== undefined || set.servers_json !== undefined) await endSessions(ctx, row.id);
  const after = await userRow(ctx, name);
  await audit(ctx, 'user.update', after.name, { role: after.role, servers: serversOf(after) });
  return toUserView(ctx, after);
}

/** `user passwd`: a new password (scrypt); every session of the user ends. */
export async function setPassword(
  ctx: Ctx,
  name: string,
  password: string,
): Promise<{ user: string; sessionsEnded: number }> {
  const row = await userRow(ctx, name);
  const hash = await hashPassword(parseInput(passwordSchema, password, 'password'));
  await ctx.store.db
    .updateTable('users')
    .set({ password_hash: hash, updated_at: nowIso(ctx) })
    .where('id', '=', row.id)
    .execute();
  const sessionsEnded = await endSessions(ctx, row.id);
  await audit(ctx, 'user.passwd', row.name, { sessionsEnded });
  return { user: row.name, sessionsEnded };
}

/** `user remove`: the user, their sessions (cascade). Tokens are not users' and stay. */
export async function removeUser(ctx: Ctx, name: string): Promise<{ removed: string }> {
  const row = await userRow(ctx, name);
  await ctx.store.db.deleteFrom('users').where('id', '=', row.id).execute();
  await audit(ctx, 'user.remove', row.name);
  return { removed: row.name };
}

export async function endSessions(ctx: Ctx, userId: number): Promise<number> {
  const r = await ctx.store.db.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst();
  return Number(r.numDeletedRows);
}
