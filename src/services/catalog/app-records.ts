// The parts of an app record a catalog install or upgrade writes: its encrypted env and its catalog metadata.
import type { AppRow } from '../../adapters/store/schema.js';
import { deployPlan } from '../../core/plans/deploy.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';

/** What an app installed from the catalog keeps in settings_json (`catalog`). */
export interface CatalogAppSettings {
  readonly id: string;
  readonly version: string;
  readonly source: 'builtin' | 'user';
  readonly installedAt: string;
  readonly upgradedAt?: string;
}

export function catalogSettings(app: Pick<AppRow, 'settings_json'>): CatalogAppSettings | null {
  const s = JSON.parse(app.settings_json || '{}') as { catalog?: CatalogAppSettings };
  return s.catalog ?? null;
}

/** Upserts variables encrypted under the app (AES-256-GCM, app + key name as associated data), in one transaction. */
export async function writeEnv(ctx: Ctx, appId: number, env: Readonly<Record<string, string>>): Promise<void> {
  const now = nowIso(ctx);
  await ctx.store.db.transaction().execute(async (trx) => {
    for (const [key, value] of Object.entries(env)) {
      const value_enc = ctx.cipher.encrypt(appId, key, value);
      await trx
        .insertInto('env_vars')
        .values({ app_id: appId, key, value_enc, created_at: now, updated_at: now })
        .onConflict((oc) => oc.columns(['app_id', 'key']).doUpdateSet({ value_enc, updated_at: now }))
        .execute();
    }
  });
}

/** The encrypted rows as stored (for an exact restore after a failed upgrade: no decrypt/encrypt round). */
export async function envSnapshot(ctx: Ctx, appId: number) {
  return ctx.store.db.selectFrom('env_vars').selectAll().where('app_id', '=', appId).execute();
}

export async function restoreEnv(ctx: Ctx, appId: number, rows: Awaited<ReturnType<typeof envSnapshot>>) {
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('env_vars').where('app_id', '=', appId).execute();
    for (const { id: _id, ...row } of rows) await trx.insertInto('env_vars').values(row).execute();
  });
}

/** Step names of a compose deploy, shown as pending before the job runs. */
export function deployStepNames(i: {
  app: string;
  root: string;
  port: number;
  content: string;
  domain: string | null;
}) {
  return [
    'connect',
    ...deployPlan({
      app: i.app,
      root: i.root,
      release: 0,
      port: i.port,
      source: { type: 'compose', content: i.content },
      action: 'deploy',
      domain: i.domain,
    }).map((s) => s.name),
  ];
}
