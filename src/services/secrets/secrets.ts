import { InfraktError } from '../../core/errors.js';
import { parseInput } from '../../core/schemas/parse.js';
import { secretNameSchema, secretRef, secretValueSchema } from '../../core/schemas/secret.js';
import { Secret } from '../../core/secret.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import { seal, unseal } from './seal.js';

export interface SecretView {
  name: string;
  /** Who made it: `user`, `db create <name>`, `server exec <server>`. Never the value. */
  source: string;
  createdAt: string;
  updatedAt: string;
}

const notFoundSecret = (name: string) =>
  new InfraktError('NOT_FOUND', `secret '${name}' not found`, { hint: 'list secrets with: infrakt secret list' });

/** `secret set`: creates or replaces a named secret (validated first; nothing written on bad input). */
export async function setSecret(
  ctx: Ctx,
  name: string,
  value: string | Secret,
  opts: { source?: string } = {},
): Promise<{ name: string; created: boolean }> {
  const n = parseInput(secretNameSchema, name, 'secret name');
  const plain = typeof value === 'string' ? value : value.reveal();
  const checked = secretValueSchema.safeParse(plain);
  // The value is never echoed in the error: it is the secret.
  if (!checked.success)
    throw new InfraktError('VALIDATION', `invalid value for secret ${n}: ${checked.error.issues[0]?.message}`);
  const now = nowIso(ctx);
  const sealed = seal(ctx.cipher, 'secret', n, plain);
  const existing = await ctx.store.db.selectFrom('secrets').select('id').where('name', '=', n).executeTakeFirst();
  const source = opts.source ?? 'user';
  await ctx.store.db
    .insertInto('secrets')
    .values({ name: n, value_enc: sealed, source, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('name').doUpdateSet({ value_enc: sealed, source, updated_at: now }))
    .execute();
  await audit(ctx, existing ? 'secret.update' : 'secret.create', n, { source });
  return { name: n, created: !existing };
}

export async function listSecrets(ctx: Ctx): Promise<SecretView[]> {
  const rows = await ctx.store.db
    .selectFrom('secrets')
    .select(['name', 'source', 'created_at', 'updated_at'])
    .orderBy('name')
    .execute();
  return rows.map((r) => ({ name: r.name, source: r.source, createdAt: r.created_at, updatedAt: r.updated_at }));
}

/** `secret get`: the decrypted value, as a Secret (the caller reveals it only when the user asked). */
export async function getSecret(ctx: Ctx, name: string): Promise<Secret> {
  const n = parseInput(secretNameSchema, name, 'secret name');
  const row = await ctx.store.db.selectFrom('secrets').selectAll().where('name', '=', n).executeTakeFirst();
  if (!row) throw notFoundSecret(n);
  await audit(ctx, 'secret.reveal', n);
  return new Secret(unseal(ctx.cipher, 'secret', n, row.value_enc));
}

export async function deleteSecret(ctx: Ctx, name: string): Promise<void> {
  const n = parseInput(secretNameSchema, name, 'secret name');
  const res = await ctx.store.db.deleteFrom('secrets').where('name', '=', n).executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) throw notFoundSecret(n);
  await audit(ctx, 'secret.delete', n);
}

export async function secretExists(ctx: Ctx, name: string): Promise<boolean> {
  return Boolean(await ctx.store.db.selectFrom('secrets').select('id').where('name', '=', name).executeTakeFirst());
}

/** All secrets decrypted, by name (for resolving references and scrubbing tool output). Never returned to users. */
export async function allSecretValues(ctx: Ctx): Promise<Map<string, Secret>> {
  const rows = await ctx.store.db.selectFrom('secrets').select(['name', 'value_enc']).execute();
  return new Map(rows.map((r) => [r.name, new Secret(unseal(ctx.cipher, 'secret', r.name, r.value_enc))]));
}

/**
 * Resolves env values: `secret:NAME` becomes the stored secret's value, anything else stays literal. All
 * references are checked first: a missing secret fails the whole set, naming the key (never a value).
 */
export async function resolveSecretRefs(
  ctx: Ctx,
  env: ReadonlyMap<string, string>,
  extra: ReadonlyMap<string, Secret> = new Map(),
): Promise<Map<string, Secret>> {
  const needed = [...env].flatMap(([k, v]) => {
    const ref = secretRef(v);
    return ref === null ? [] : [[k, ref] as const];
  });
  const stored = needed.length ? await allSecretValues(ctx) : new Map<string, Secret>();
  const out = new Map<string, Secret>();
  for (const [key, value] of env) {
    const ref = secretRef(value);
    if (ref === null) {
      out.set(key, new Secret(value));
      continue;
    }
    const s = extra.get(ref) ?? stored.get(ref);
    if (!s) {
      throw new InfraktError('NOT_FOUND', `${key} refers to secret '${ref}', which does not exist`, {
        hint: `create it with: infrakt secret set ${ref}`,
      });
    }
    out.set(key, s);
  }
  return out;
}
