import { InfraktError } from '../../../core/errors.js';
import type { JobContext } from '../../../core/jobs.js';
import type { DeployStep, DeployStepKind } from '../../../core/plans/deploy.js';
import { audit } from '../../shared/audit.js';
import type { Ctx } from '../../shared/context.js';
import { appLockName } from '../../shared/lock-on-server.js';
import { withServer } from '../../shared/server-session.js';
import { resolveApp } from '../apps.js';
import { decryptedEnv } from '../env.js';
import type { DeployResult } from './deploy-app.js';
import { failRelease } from './fail-release.js';
import { openReleaseRun, preparedOf, type ReleaseRequest, type ReleaseRun, type ReleaseStep } from './release-run.js';
import { buildImage } from './steps/build-image.js';
import { checkHealth } from './steps/check-health.js';
import { fetchSource } from './steps/fetch-source.js';
import { prepareServer } from './steps/prepare-server.js';
import { recordRelease } from './steps/record-release.js';
import { retirePrevious } from './steps/retire-previous.js';
import { runReleaseCommand } from './steps/run-release-command.js';
import { sendLocalImage } from './steps/send-local-image.js';
import { startRelease } from './steps/start-release.js';
import { switchTraffic } from './steps/switch-traffic.js';
import { updateServices } from './steps/update-services.js';
import { writeReleaseFiles } from './steps/write-release-files.js';

/** The function that runs each kind of step of `deployPlan`. */
export const RELEASE_STEPS: Record<DeployStepKind, ReleaseStep> = {
  prepare: prepareServer,
  source: fetchSource,
  write: writeReleaseFiles,
  build: buildImage,
  services: updateServices,
  start: startRelease,
  health: checkHealth,
  upload: sendLocalImage,
  release: runReleaseCommand,
  switch: switchTraffic,
  retire: retirePrevious,
  record: recordRelease,
};

/**
 * Runs one deploy-like job (deploy, rollback, env push): the app as it is now, one connection holding the
 * app's server lock, every step of `deployPlan` in order, then the result — or, on a failure, the
 * compensations and a failed record.
 */
export async function runRelease(ctx: Ctx, job: JobContext, appId: number, req: ReleaseRequest): Promise<DeployResult> {
  const startedAt = Date.now();
  const { app, server } = await reloadApp(ctx, appId);
  const env = await decryptedEnv(ctx, app);
  job.addSecrets(...env.values());
  // `prepare server` takes the lock beside its other round trips.
  const lock = { name: appLockName(app.name), deferred: true };
  return withServer(ctx, job, server, { lock }, async (session) => {
    const run = await openReleaseRun({ ctx, job, session, app, server, env, req, startedAt });
    try {
      for (const step of run.plan) await runStep(run, step);
      await audit(ctx, `app.${req.action}`, `${server.name}/${app.name}`, { release: run.release });
      return resultOf(run);
    } catch (e) {
      throw await failRelease(run, e);
    }
  });
}

async function runStep(run: ReleaseRun, step: DeployStep): Promise<void> {
  if (step.skippedBecause) return run.job.skip(step.name, step.skippedBecause);
  await run.job.step(step.name, (s) => {
    // Declared as the step begins: a step that fails half-way is undone too (once: a chained script declares
    // the start's compensation already when it begins, see release-chain.ts).
    if (step.compensate && !run.compensations.some((c) => c.step === step))
      run.compensations.push({ step, cmds: step.compensate });
    return RELEASE_STEPS[step.kind](run, step, s);
  });
}

/** The app and its server as stored when the job starts (it may have waited for the app's lock). */
async function reloadApp(ctx: Ctx, appId: number) {
  const row = await ctx.store.db
    .selectFrom('apps')
    .innerJoin('servers', 'servers.id', 'apps.server_id')
    .select(['apps.name as app', 'servers.name as server'])
    .where('apps.id', '=', appId)
    .executeTakeFirst();
  if (!row) throw new InfraktError('NOT_FOUND', 'the app was removed before its deploy started');
  return resolveApp(ctx, row.app, row.server);
}

function resultOf(run: ReleaseRun): DeployResult {
  return {
    app: run.app.name,
    server: run.server.name,
    action: run.req.action,
    release: run.release,
    deploymentId: run.deploymentId,
    hostPort: run.hostPort,
    sourceRef: preparedOf(run).sourceRef,
    msToServing: run.msToServing,
  };
}
