import type { AppRow } from '../../adapters/store/schema.js';
import type { PreviewSettingsRow } from '../../adapters/store/schema-push-deploy.js';
import { InfraktError } from '../../core/errors.js';
import { domainSchema, envKeySchema } from '../../core/schemas/common.js';
import { parseEnvPairs } from '../../core/schemas/env.js';
import { parseInput } from '../../core/schemas/parse.js';
import type { PreviewSettingsView, PreviewView } from '../../core/schemas/views/previews.js';
import { resolveApp } from '../apps/apps.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';

export const DEFAULT_MAX_PREVIEWS = 3;
export const previewEnvPurpose = (appId: number, key: string) => `preview-env:${appId}:${key}`;

export interface PreviewConfigInput {
  server?: string;
  enable?: boolean;
  disable?: boolean;
  /** Base domain: previews are served at `pr-<n>.<domain>` (default: the app's own domain). */
  domain?: string;
  max?: number;
  /** KEY=VALUE overrides of the app's variables in its previews. */
  env?: readonly string[];
  unsetEnv?: readonly string[];
}

export async function previewSettingsOf(ctx: Pick<Ctx, 'store'>, appId: number): Promise<PreviewSettingsRow | null> {
  return (
    (await ctx.store.db.selectFrom('preview_settings').selectAll().where('app_id', '=', appId).executeTakeFirst()) ??
    null
  );
}

async function view(ctx: Ctx, app: AppRow): Promise<PreviewSettingsView> {
  const s = await previewSettingsOf(ctx, app.id);
  const keys = await ctx.store.db
    .selectFrom('preview_env')
    .select('key')
    .where('app_id', '=', app.id)
    .orderBy('key')
    .execute();
  return {
    app: app.name,
    enabled: Boolean(s),
    domain: s?.domain ?? null,
    max: s?.max_previews ?? null,
    envKeys: keys.map((k) => k.key),
  };
}

/**
 * `app previews APP --enable|--disable|--domain|--max|--env|--unset-env`: everything is validated before
 * anything is written, and written in one transaction.
 */
export async function configurePreviews(
  ctx: Ctx,
  name: string,
  input: PreviewConfigInput,
): Promise<PreviewSettingsView> {
  const { app, server } = await resolveApp(ctx, name, input.server);
  if (input.enable && input.disable) throw new InfraktError('VALIDATION', 'choose --enable or --disable, not both');
  const current = await previewSettingsOf(ctx, app.id);
  const enabled = input.disable ? false : Boolean(input.enable || current);
  if (!enabled && (input.domain !== undefined || input.max !== undefined) && !input.disable) {
    throw new InfraktError('VALIDATION', `previews are not enabled for '${app.name}'`, {
      hint: `enable them: infrakt app previews ${app.name} --enable [--domain previews.example.com]`,
    });
  }
  if (enabled && app.app_type !== 'git') {
    throw new InfraktError(
      'VALIDATION',
      `previews deploy pull requests of git apps; '${app.name}' is a ${app.app_type} app`,
    );
  }
  const domain =
    input.domain !== undefined ? parseInput(domainSchema, input.domain, 'domain') : (current?.domain ?? app.domain);
  if (enabled && !domain) {
    throw new InfraktError('VALIDATION', `'${app.name}' has no domain to put previews under`, {
      hint: `give one: infrakt app previews ${app.name} --enable --domain previews.example.com (pr-<n>.<domain>)`,
    });
  }
  const max = input.max ?? current?.max_previews ?? DEFAULT_MAX_PREVIEWS;
  if (!Number.isInteger(max) || max < 1 || max > 50) throw new InfraktError('VALIDATION', '--max must be 1 to 50');
  const set = input.env?.length ? parseEnvPairs(input.env) : [];
  const unset = (input.unsetEnv ?? []).map((k) => parseInput(envKeySchema, k, 'variable name'));
  if (input.disable) {
    const open = await ctx.store.db
      .selectFrom('previews')
      .select('pr_number')
      .where('parent_app_id', '=', app.id)
      .execute();
    if (open.length) {
      throw new InfraktError(
        'STATE',
        `'${app.name}' still has previews: ${open.map((p) => `#${p.pr_number}`).join(', ')}`,
        {
          hint: 'they go when their pull requests close, or destroy them: infrakt app destroy <app>-pr-<n>',
        },
      );
    }
  }
  const now = nowIso(ctx);
  await ctx.store.db.transaction().execute(async (trx) => {
    if (input.disable) {
      await trx.deleteFrom('preview_settings').where('app_id', '=', app.id).execute();
    } else if (enabled) {
      await trx
        .insertInto('preview_settings')
        .values({ app_id: app.id, domain: domain!, max_previews: max, created_at: now, updated_at: now })
        .onConflict((oc) => oc.column('app_id').doUpdateSet({ domain: domain!, max_previews: max, updated_at: now }))
        .execute();
    }
    for (const { key, value } of set) {
      const value_enc = ctx.cipher.seal(previewEnvPurpose(app.id, key), value);
      await trx
        .insertInto('preview_env')
        .values({ app_id: app.id, key, value_enc, updated_at: now })
        .onConflict((oc) => oc.columns(['app_id', 'key']).doUpdateSet({ value_enc, updated_at: now }))
        .execute();
    }
    for (const key of unset)
      await trx.deleteFrom('preview_env').where('app_id', '=', app.id).where('key', '=', key).execute();
  });
  await audit(ctx, 'app.previews', `${server.name}/${app.name}`, {
    enabled,
    domain,
    max,
    set: set.map((p) => p.key),
    unset,
  });
  return view(ctx, app);
}

export async function showPreviewSettings(ctx: Ctx, name: string, opts: { server?: string } = {}) {
  const { app } = await resolveApp(ctx, name, opts.server);
  return view(ctx, app);
}

/** `app previews APP`: the app's previews, with the state of their last job. */
export async function listPreviews(ctx: Ctx, name: string, opts: { server?: string } = {}): Promise<PreviewView[]> {
  const { app } = await resolveApp(ctx, name, opts.server);
  const rows = await ctx.store.db
    .selectFrom('previews')
    .leftJoin('apps', 'apps.id', 'previews.app_id')
    .leftJoin('jobs', 'jobs.id', 'previews.job_id')
    .selectAll('previews')
    .select(['apps.name as app_name', 'apps.domain as app_domain', 'jobs.status as job_status'])
    .where('previews.parent_app_id', '=', app.id)
    .orderBy('previews.pr_number')
    .execute();
  return rows.map((r) => ({
    pr: r.pr_number,
    app: r.app_name ?? null,
    domain: r.app_domain ?? '',
    commit: r.head_sha,
    ref: r.head_ref,
    status: previewStatus(r.status, r.job_status ?? null),
    jobId: r.job_id,
    error: r.error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

/** What a preview is doing, from its last job: the job record outlives the process that ran it. */
function previewStatus(stored: string, job: string | null): string {
  if (stored === 'closing') return job === 'failed' || job === 'cancelled' ? 'close-failed' : 'closing';
  if (job === 'queued' || job === 'running') return 'deploying';
  if (job === 'succeeded') return 'running';
  if (job === 'failed' || job === 'cancelled') return 'failed';
  return stored;
}
