import type { AppRow } from '../../adapters/store/schema.js';
import type { AppPollRow } from '../../adapters/store/schema-push-deploy.js';
import { InfraktError } from '../../core/errors.js';
import type { AutoDeployView } from '../../core/schemas/views/polling.js';
import { resolveApp } from '../apps/apps.js';
import { pullPolicy } from '../servers/settings.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';

export const DEFAULT_POLL_SECONDS = 60;
export const MIN_POLL_SECONDS = 5;
export const MAX_POLL_SECONDS = 86_400;

const watches = (app: AppRow): string | null =>
  app.app_type === 'git'
    ? `git ls-remote ${app.git_repo} ${app.branch}`
    : app.app_type === 'image'
      ? `digest of ${app.image}`
      : null;

export function toAutoDeployView(app: AppRow, poll: AppPollRow | null): AutoDeployView {
  return {
    app: app.name,
    mode: poll ? 'poll' : 'off',
    intervalSeconds: poll?.interval_s ?? null,
    watches: poll ? watches(app) : null,
    lastSeen: poll?.last_seen ?? null,
    lastCheckedAt: poll?.last_checked_at ?? null,
    lastError: poll?.last_error ?? null,
    lastJobId: poll?.last_job_id ?? null,
  };
}

export async function autoDeployOf(ctx: Pick<Ctx, 'store'>, appId: number): Promise<AppPollRow | null> {
  return (
    (await ctx.store.db.selectFrom('app_polls').selectAll().where('app_id', '=', appId).executeTakeFirst()) ?? null
  );
}

/**
 * `app update APP --auto-deploy poll|off [--interval S]`: `infrakt serve` checks the branch (git apps) or the
 * image tag (image apps) from the app's server every interval and deploys what changed.
 */
export async function setAutoDeploy(
  ctx: Ctx,
  name: string,
  o: { mode: string; intervalSeconds?: number; server?: string },
): Promise<AutoDeployView> {
  if (o.mode !== 'poll' && o.mode !== 'off') {
    throw new InfraktError('VALIDATION', `invalid --auto-deploy '${o.mode}'`, {
      hint: 'use poll or off (pushes deploy through the webhook: infrakt app webhook enable)',
    });
  }
  const { app, server } = await resolveApp(ctx, name, o.server);
  if (o.mode === 'off') {
    if (o.intervalSeconds !== undefined)
      throw new InfraktError('VALIDATION', '--interval goes with --auto-deploy poll');
    await ctx.store.db.deleteFrom('app_polls').where('app_id', '=', app.id).execute();
    await audit(ctx, 'app.auto-deploy', `${server.name}/${app.name}`, { mode: 'off' });
    return toAutoDeployView(app, null);
  }
  if (app.app_type !== 'git' && app.app_type !== 'image') {
    throw new InfraktError(
      'VALIDATION',
      `polling watches git branches and image tags; '${app.name}' is a ${app.app_type} app`,
    );
  }
  if (app.app_type === 'image' && pullPolicy(server) === 'never') {
    throw new InfraktError('VALIDATION', `server '${server.name}' never pulls images: there is no tag to watch`, {
      hint: `infrakt server set ${server.name} --pull-policy missing`,
    });
  }
  const interval = o.intervalSeconds ?? DEFAULT_POLL_SECONDS;
  if (!Number.isInteger(interval) || interval < MIN_POLL_SECONDS || interval > MAX_POLL_SECONDS) {
    throw new InfraktError('VALIDATION', `--interval must be ${MIN_POLL_SECONDS} to ${MAX_POLL_SECONDS} seconds`);
  }
  const now = nowIso(ctx);
  await ctx.store.db
    .insertInto('app_polls')
    .values({
      app_id: app.id,
      interval_s: interval,
      last_seen: null,
      last_started: null,
      last_job_id: null,
      last_checked_at: null,
      next_check_at: now,
      last_error: null,
      created_at: now,
    })
    .onConflict((oc) => oc.column('app_id').doUpdateSet({ interval_s: interval, next_check_at: now }))
    .execute();
  await audit(ctx, 'app.auto-deploy', `${server.name}/${app.name}`, { mode: 'poll', interval });
  return toAutoDeployView(app, await autoDeployOf(ctx, app.id));
}

export async function showAutoDeploy(ctx: Ctx, name: string, opts: { server?: string } = {}): Promise<AutoDeployView> {
  const { app } = await resolveApp(ctx, name, opts.server);
  return toAutoDeployView(app, await autoDeployOf(ctx, app.id));
}
