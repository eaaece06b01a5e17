import { InfraktError } from '../../core/errors.js';
import { refuseOnCluster } from '../clusters/cluster-apps.js';
import type { Ctx } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { resolveApp } from './apps.js';
import { type DeployResult, releaseJobPlan } from './deploy/deploy-app.js';
import { keptRelease, releaseDetails } from './releases.js';

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
  await refuseOnCluster(
    ctx,
    app,
    `a deploy takes the current variables to every replica: infrakt app deploy ${app.name}`,
  );
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
