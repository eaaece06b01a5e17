import * as compose from '../../../../core/commands/compose.js';
import { InfraktError } from '../../../../core/errors.js';
import { tail } from '../../../../core/executor.js';
import { appSettings } from '../../app-settings.js';
import { preparedOf, type ReleaseStep, releaseTargetOf } from '../release-run.js';

/** How long a release command (migrations) may run before the deploy gives up on it. */
export const RELEASE_COMMAND_TIMEOUT_MS = 30 * 60_000;

/**
 * `release command` (`app update --release-command`): a one-off container of the new release — its image, its
 * variables, its volumes and networks — runs the command once, after the release started healthy and before
 * any traffic reaches it. A non-zero exit fails the deploy: the new release is removed, the previous one keeps
 * serving. Its output goes to the job log (variables scrubbed).
 */
export const runReleaseCommand: ReleaseStep = async (run, _step, s) => {
  const command = appSettings(run.app).releaseCommand;
  if (!command) return s.unchanged('no release command');
  const cmd = compose.runOnce(releaseTargetOf(run), preparedOf(run).details.service, command);
  s.log(`$ ${command}`);
  const r = await run.ex.run(cmd, {
    signal: run.job.signal,
    timeoutMs: RELEASE_COMMAND_TIMEOUT_MS,
    secrets: [...run.env.values()],
    onLine: (_stream, line) => s.log(line),
  });
  s.exitCode(r.exitCode);
  if (r.exitCode !== 0) {
    throw new InfraktError(
      'COMMAND_FAILED',
      `the release command exited ${r.exitCode}; traffic stays on the previous release`,
      {
        hint: 'its output is in the job log (infrakt job logs <id>); fix the command or the release and deploy again',
        details: { exitCode: r.exitCode, stderrTail: tail(r.stdout, 10) },
      },
    );
  }
  s.detail(`exit 0 in ${(r.durationMs / 1000).toFixed(1)} s`);
};
