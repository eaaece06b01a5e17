import * as compose from '../../../../core/commands/compose.js';
import { commandFailed, type RunResult } from '../../../../core/executor.js';
import { portTaken } from '../../../../core/plans/host-ports.js';
import { Secret } from '../../../../core/secret.js';
import { chooseReleasePort } from '../../release-port.js';
import { expectPart, partResult } from '../release-chain.js';
import { preparedOf, type ReleaseStep, releaseTargetOf } from '../release-run.js';

/** `start new release`: its own compose project on its fixed loopback port, beside the serving release. */
export const startRelease: ReleaseStep = async (run, _step, s) => {
  const { ex } = run;
  const opts = { signal: run.job.signal };
  const up = compose.up(releaseTargetOf(run));
  let r: RunResult;
  if (run.chain) {
    // Started by the release's script (release-chain.ts): its part, as it arrives.
    const part = await run.chain.script.part('up');
    if (!part) return expectPart(run, run.chain, 'up', 'compose up (new release)');
    r = await partResult(run.chain, part);
  } else r = await ex.run(up, opts);
  if (r.exitCode !== 0 && portTaken(r.stdout + r.stderr)) {
    // Something took the port between its choice and the start: once more on another one.
    const taken = run.hostPort;
    run.hostPort = await chooseReleasePort(run.ctx, ex, run.server, [taken]);
    s.log(`127.0.0.1:${taken} was taken meanwhile: starting on 127.0.0.1:${run.hostPort}`);
    await ex.put(run.layout.releaseFile(run.release), new Secret(preparedOf(run).renderRelease(run.hostPort)), {
      mode: 0o600,
    });
    r = await ex.run(up, opts);
  } else if (r.exitCode !== 0) {
    // `up` can fail while a container is still being restarted: ask once more.
    r = await ex.run(up, opts);
  }
  if (r.exitCode !== 0) throw commandFailed(ex.target, up, r, 'compose up (new release)');
  s.detail(`127.0.0.1:${run.hostPort}`);
};
