import { InfraktError } from '../../core/errors.js';
import { refuseOnCluster } from '../clusters/cluster-apps.js';
import type { Ctx } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { resolveApp } from './apps.js';
import { type DeployResult, releaseJobPlan } from './deploy/deploy-app.js';
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
  await refuseOnCluster(ctx, app, `roll it back with the CLI or the API: infrakt app rollback ${app.name}`);
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
