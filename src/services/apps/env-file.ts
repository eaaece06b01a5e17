import { validation } from '../../core/errors.js';
import { formatDotenv, parseDotenv } from '../../core/schemas/dotenv.js';
import type { EnvPair } from '../../core/schemas/env.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { resolveApp } from './apps.js';
import { writeEnv } from './env.js';

export interface EnvImportResult {
  readonly app: string;
  /** Names set from the file, in file order. */
  readonly set: string[];
  /** Names deleted because they were not in the file (`replace` only). */
  readonly removed: string[];
}

/**
 * `env import`: every line of a dotenv file is checked before anything is written, then all variables are
 * written in one transaction (with `replace`, variables absent from the file go in the same transaction).
 * Values are stored exactly as the file spells them after unquoting: `secret:NAME` stays a reference.
 */
export async function importEnv(
  ctx: Ctx,
  appName: string,
  text: string,
  opts: { replace?: boolean; server?: string } = {},
): Promise<EnvImportResult> {
  const { app, server } = await resolveApp(ctx, appName, opts.server);
  const pairs = parseDotenv(text);
  if (pairs.length === 0) {
    throw validation('the file holds no variables', 'write one KEY=VALUE per line');
  }
  const { removed } = await writeEnv(ctx, app, pairs, { replace: opts.replace === true });
  const set = pairs.map((p) => p.key);
  await audit(ctx, 'env.import', `${server.name}/${app.name}`, { keys: set, removed });
  return { app: app.name, set, removed };
}

/**
 * `env export`: the stored variables as a dotenv file, values decrypted (the caller asked to reveal them;
 * recorded in the audit log). References stay `secret:NAME`, so an export imports back to the same state.
 */
export async function exportEnv(
  ctx: Ctx,
  appName: string,
  server?: string,
): Promise<{ text: string; keys: string[]; pairs: EnvPair[] }> {
  const { app, server: srv } = await resolveApp(ctx, appName, server);
  const rows = await ctx.store.db
    .selectFrom('env_vars')
    .selectAll()
    .where('app_id', '=', app.id)
    .orderBy('key')
    .execute();
  const pairs = rows.map((r) => ({
    key: r.key,
    value: ctx.cipher.decrypt(app.id, r.key, r.value_enc, { app: app.name }),
  }));
  const keys = pairs.map((p) => p.key);
  await audit(ctx, 'env.export', `${srv.name}/${app.name}`, { keys });
  const header = `environment of ${app.name} on ${srv.name} (decrypted: keep this file private)`;
  return { text: formatDotenv(pairs, header), keys, pairs };
}
