import type { UserRow } from '../../adapters/store/schema.js';
import { InfraktError } from '../../core/errors.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import type { AllowRule } from './providers.js';

/**
 * Who a verified email signs in as: the user with that email; else, when an allow rule covers it (the exact address
 * or its @domain), a new user with the rule's role; else nobody (refused). Unverified emails never get this far.
 */
export async function userForEmail(
  ctx: Ctx,
  email: string,
  allow: readonly AllowRule[],
  preferredName: string | null,
): Promise<UserRow> {
  const addr = email.trim().toLowerCase();
  const existing = await ctx.store.db.selectFrom('users').selectAll().where('email', '=', addr).executeTakeFirst();
  if (existing) return existing;
  const domain = addr.slice(addr.lastIndexOf('@'));
  const rule = allow.find((r) => r.match === addr) ?? allow.find((r) => r.match === domain);
  if (!rule) {
    throw new InfraktError('FORBIDDEN', `${addr} has no infrakt account`, {
      hint: 'an admin adds it: infrakt user add NAME --role viewer --email ADDRESS (or an --allow rule on the provider)',
    });
  }
  const name = await freeName(ctx, preferredName ?? addr.slice(0, addr.indexOf('@')));
  const now = nowIso(ctx);
  return ctx.store.db
    .insertInto('users')
    .values({
      name,
      role: rule.role,
      servers_json: rule.servers?.length ? JSON.stringify([...rule.servers].sort()) : null,
      email: addr,
      password_hash: null,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A user name from an email's local part or a login: a-z0-9-, made unique with a number. */
async function freeName(ctx: Ctx, wanted: string): Promise<string> {
  const base =
    wanted
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 50) || 'user';
  for (let i = 1; ; i++) {
    const name = i === 1 ? base : `${base}-${i}`;
    const taken = await ctx.store.db.selectFrom('users').select('id').where('name', '=', name).executeTakeFirst();
    if (!taken) return name;
  }
}
