import * as docker from '../../../core/commands/docker.js';
import { InfraktError, toInfraktError } from '../../../core/errors.js';
import { tail } from '../../../core/executor.js';
import { releaseProject } from '../../../core/plans/layout.js';
import { type Secret, scrub } from '../../../core/secret.js';
import { forgetFacts } from '../../servers/server-facts.js';
import { finishDeployment } from '../releases.js';
import type { ReleaseRun } from './release-run.js';

/**
 * A step failed: before the switch, undo what the steps begun declared (latest first) so the previous release
 * keeps serving, keeping the new release's last log lines; record the deployment as failed either way.
 * Returns the error to throw (with the container logs, when there are some).
 */
export async function failRelease(run: ReleaseRun, e: unknown): Promise<InfraktError> {
  const err = toInfraktError(e);
  // Kept server facts (compose flavour) may be what failed: the next deploy asks the server again.
  await forgetFacts(run.ctx, run.server.id).catch(() => undefined);
  const secrets = [...run.env.values()];
  const logs = !run.switched && run.compensations.length > 0 ? await compensate(run, secrets) : '';
  // After the switch the new release serves: say so rather than pretend the old one does.
  const error = `${run.switched ? 'switched to the new release, then: ' : ''}${scrub(err.message, secrets)}`;
  await finishDeployment(run.ctx, run.deploymentId, run.app, { status: 'failed', error, logs, keepServing: true });
  if (!logs) return err;
  return new InfraktError(err.code, err.message, {
    hint: err.hint ?? 'the previous release keeps serving',
    details: { ...err.details, containerLogs: logs },
  });
}

/** Runs the compensations and returns the new release's last log lines (scrubbed), '' when it had none. */
async function compensate(run: ReleaseRun, secrets: Secret[]): Promise<string> {
  const { ex, job } = run;
  const project = releaseProject(run.app.name, run.release);
  const started = run.compensations.some((c) => c.step.kind === 'start');
  // The app may print its own variables: scrub them before they reach the record or the error.
  const logs = started
    ? scrub(tail((await ex.run(docker.projectLogs(project, 30)).catch(() => ({ stdout: '' }))).stdout, 30), secrets)
    : '';
  for (const c of [...run.compensations].reverse()) for (const cmd of c.cmds) await ex.run(cmd).catch(() => undefined);
  if (logs) for (const line of logs.split('\n')) job.log(`[${project}] ${line}`, 'stderr');
  job.log(
    started
      ? `removed the new release ${project}; the previous release keeps serving`
      : `undid ${run.compensations.map((c) => `'${c.step.name}'`).join(', ')} of release ${run.release}; the previous release keeps serving`,
  );
  return logs;
}
