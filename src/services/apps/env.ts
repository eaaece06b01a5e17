import type { AppRow } from '../../adapters/store/schema.js';
import { InfraktError } from '../../core/errors.js';
import { envKeySchema, MAX_ENV_TOTAL_BYTES, utf8Length } from '../../core/schemas/common.js';
import { type EnvPair, parseEnvPairs } from '../../core/schemas/env.js';
import { parseInput } from '../../core/schemas/parse.js';
import { secretRef } from '../../core/schemas/secret.js';
import { type EnvEntry, MASK } from '../../core/schemas/views/env.js';
import { Secret } from '../../core/secret.js';
import { resolveSecretRefs, secretExists } from '../secrets/secrets.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import { resolveApp } from './apps.js';

/** Sets one or more variables atomically (all pairs validated first, written in one transaction). */
export async function setEnv(ctx: Ctx, appName: string, pairs: readonly string[], server?: string): Promise<string[]> {
  const parsed = parseEnvPairs(pairs);
  const { app, server: srv } = await resolveApp(ctx, appName, server);
  await writeEnv(ctx, app, parsed);
  const keys = parsed.map((p) => p.key);
  await audit(ctx, 'env.set', `${srv.name}/${app.name}`, { keys });
  return keys;
}

/**
 * Writes validated pairs in one transaction after checking `secret:` references and the total size. With
 * `replace`, variables not among the pairs are deleted in the same transaction; returns their names.
 */
export async function writeEnv(
  ctx: Ctx,
  app: AppRow,
  parsed: readonly EnvPair[],
  opts: { replace?: boolean } = {},
): Promise<{ removed: string[] }> {
  await checkSecretRefs(ctx, parsed);
  const all = opts.replace ? new Map<string, Secret>() : await decryptedEnv(ctx, app);
  for (const { key, value } of parsed) all.set(key, new Secret(value));
  const total = [...all].reduce((n, [k, v]) => n + utf8Length(`${k}=${v.reveal()}`) + 1, 0);
  if (total > MAX_ENV_TOTAL_BYTES) {
    throw new InfraktError('VALIDATION', `the variables of '${app.name}' would take ${total} bytes`, {
      hint: `a process environment holds at most ${MAX_ENV_TOTAL_BYTES / 1024} KiB here: put large data in a file or volume`,
    });
  }
  const now = nowIso(ctx);
  const keep = new Set(parsed.map((p) => p.key));
  return ctx.store.db.transaction().execute(async (trx) => {
    const removed: string[] = [];
    if (opts.replace) {
      const existing = await trx.selectFrom('env_vars').select('key').where('app_id', '=', app.id).execute();
      for (const { key } of existing) if (!keep.has(key)) removed.push(key);
      if (removed.length > 0) {
        await trx.deleteFrom('env_vars').where('app_id', '=', app.id).where('key', 'in', removed).execute();
      }
    }
    for (const { key, value } of parsed) {
      const value_enc = ctx.cipher.encrypt(app.id, key, value);
      await trx
        .insertInto('env_vars')
        .values({ app_id: app.id, key, value_enc, created_at: now, updated_at: now })
        .onConflict((oc) => oc.columns(['app_id', 'key']).doUpdateSet({ value_enc, updated_at: now }))
        .execute();
    }
    return { removed: removed.sort() };
  });
}

export async function getEnv(ctx: Ctx, appName: string, key: string, server?: string): Promise<Secret> {
  parseInput(envKeySchema, key, 'variable name');
  const { app } = await resolveApp(ctx, appName, server);
  const row = await ctx.store.db
    .selectFrom('env_vars')
    .selectAll()
    .where('app_id', '=', app.id)
    .where('key', '=', key)
    .executeTakeFirst();
  if (!row) {
    throw new InfraktError('NOT_FOUND', `variable ${key} is not set on app '${app.name}'`, {
      hint: `list variables with: infrakt env list ${app.name}`,
    });
  }
  return new Secret(ctx.cipher.decrypt(app.id, key, row.value_enc, { app: app.name }));
}

/** The variables of an app, values masked unless `reveal` (the same view in the CLI and the API). */
export async function listEnv(
  ctx: Ctx,
  appName: string,
  opts: { reveal?: boolean; server?: string } = {},
): Promise<EnvEntry[]> {
  const { app } = await resolveApp(ctx, appName, opts.server);
  const rows = await ctx.store.db
    .selectFrom('env_vars')
    .selectAll()
    .where('app_id', '=', app.id)
    .orderBy('key')
    .execute();
  return rows.map((r) => ({
    key: r.key,
    value: opts.reveal ? ctx.cipher.decrypt(app.id, r.key, r.value_enc, { app: app.name }) : MASK,
    updatedAt: r.updated_at,
  }));
}

export async function deleteEnv(ctx: Ctx, appName: string, key: string, server?: string): Promise<void> {
  parseInput(envKeySchema, key, 'variable name');
  const { app, server: srv } = await resolveApp(ctx, appName, server);
  const res = await ctx.store.db
    .deleteFrom('env_vars')
    .where('app_id', '=', app.id)
    .where('key', '=', key)
    .executeTakeFirst();
  if (Number(res.numDeletedRows) === 0) {
    throw new InfraktError('NOT_FOUND', `variable ${key} is not set on app '${app.name}'`, {
      hint: `list variables with: infrakt env list ${app.name}`,
    });
  }
  await audit(ctx, 'env.delete', `${srv.name}/${app.name}`, { key });
}

/** A value `secret:NAME` is a reference to a stored secret: it must exist when it is set. */
async function checkSecretRefs(ctx: Ctx, pairs: readonly { key: string; value: string }[]): Promise<void> {
  for (const { key, value } of pairs) {
    const ref = secretRef(value);
    if (ref !== null && !(await secretExists(ctx, ref))) {
      throw new InfraktError('NOT_FOUND', `${key} refers to secret '${ref}', which does not exist`, {
        hint: `create it first with: infrakt secret set ${ref}`,
      });
    }
  }
}

/**
 * All variables of an app decrypted, as Secrets (for deploy-time push). `secret:NAME` values are resolved to
 * the named secret's current value, so a rotated secret reaches the app with the next deploy or env push.
 */
export async function decryptedEnv(ctx: Ctx, app: AppRow): Promise<Map<string, Secret>> {
  const rows = await ctx.store.db
    .selectFrom('env_vars')
    .selectAll()
    .where('app_id', '=', app.id)
    .orderBy('key')
    .execute();
  const stored = new Map(rows.map((r) => [r.key, ctx.cipher.decrypt(app.id, r.key, r.value_enc, { app: app.name })]));
  return resolveSecretRefs(ctx, stored);
}
