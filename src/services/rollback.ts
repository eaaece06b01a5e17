import { InfraktError } from '../core/errors.js';
import { resolveApp } from './apps.js';
import type { Ctx } from './context.js';
import { type DeployResult, releaseJobPlan } from './deploy/deploy-app.js';
import type { JobPlan } from './job-plan.js';
import { keptRelease, releaseDetails } from './releases.js';

/**
 * `app rollback <name> [--to <release>]`: a kept release becomes a new release (same image, same compose
 * source, today's variables) through the same health-gated switch as a deploy. Default: the release before
 * the current one.
 */
export async function prepareRollback(
  ctx: Ctx,
  name: string,
  opts: { server?: string; to?: number; wait?: boolean } = {},
): Promise<JobPlan<DeployResult>> {
  const { app, server } = await resolveApp(ctx, name, opts.server);
  if (app.current_release === null) {
    throw new InfraktError('STATE', `'${app.name}' has no release to roll back from`, {
      hint: `deploy it first: infrakt app deploy ${app.name}`,
    });
  }
  let to = opts.to;
  if (to === undefined) {
    const prev = await ctx.store.db
      .selectFrom('deployments')
      .select('release')
      .where('app_id', '=', app.id)
      .where('status', '=', 'succeeded')
      .where('release', '<', app.current_release)
      .orderBy('release', 'desc')
      .executeTakeFirst();
    if (!prev) throw new InfraktError('STATE', `'${app.name}' has no earlier successful release`);
    to = prev.release;
  }
  if (to === app.current_release) {
    throw new InfraktError('STATE', `release ${to} is already the current release of '${app.name}'`);
  }
  const row = await keptRelease(ctx, app, to);
  const from = { release: to, details: releaseDetails(row), sourceRef: row.source_ref ?? '' };
  return releaseJobPlan(ctx, app, server, {
    kind: 'app.rollback',
    params: { app: app.name, to },
    req: { action: 'rollback', from },
    wait: opts.wait,
  });
}

/**
 * `env push <app>`: the current release started again with the app's variables as stored now, beside the
 * serving one, then switched to when healthy (values travel over SFTP into `.env`, 0600).
 */
export async function prepareEnvPush(
  ctx: Ctx,
  name: string,
  opts: { server?: string; wait?: boolean } = {},
): Promise<JobPlan<DeployResult>> {
  const { app, server } = await resolveApp(ctx, name, opts.server);
  if (app.current_release === null) {
    throw new InfraktError('STATE', `'${app.name}' is not deployed yet`, {
      hint: `deploy it (variables are included): infrakt app deploy ${app.name}`,
    });
  }
  const row = await keptRelease(ctx, app, app.current_release);
  const from = { release: row.release, details: releaseDetails(row), sourceRef: row.source_ref ?? '' };
  return releaseJobPlan(ctx, app, server, {
    kind: 'env.push',
    params: { app: app.name },
    req: { action: 'env-push', from },
    wait: opts.wait,
  });
}
