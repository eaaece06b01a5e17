import type { BatchResult } from '../../../../core/cmd/index.js';
import { describeProbe, HEALTH_EXIT, parseProbeLine } from '../../../../core/commands/http.js';
import { InfraktError } from '../../../../core/errors.js';
import { commandFailed } from '../../../../core/executor.js';
import { releaseProject } from '../../../../core/plans/layout.js';
import { waitForHealthyResponse } from '../../health-check.js';
import { appSettings } from '../../release-source.js';
import { probeText, releaseHealthWait } from '../release-chain.js';
import type { ReleaseRun, ReleaseStep } from '../release-run.js';

/**
 * `health check`: the app's health path answers on the new release's port in time. Probed on the server with
 * curl — by the release's script when it started the release (release-chain.ts), else in a round trip of its
 * own — each probe logged; a server without curl is probed through the connection instead.
 */
export const checkHealth: ReleaseStep = async (run, _step, s) => {
  const { health } = appSettings(run.app);
  const started = Date.now();
  let chained: BatchResult | null = null;
  if (run.chain) {
    run.chain.attachHealthLog((l) => s.log(l));
    chained = await run.chain.script.part('health');
  }
  // Not run by the chain (no chain, or the start was retried apart from it): on its own, one round trip.
  const r: BatchResult =
    chained ??
    (await run.ex
      .run(releaseHealthWait(run), {
        signal: run.job.signal,
        onLine: (stream, line) => stream === 'stdout' && s.log(probeText(line, health.path)),
      })
      .then((x) => ({ exitCode: x.exitCode, stdout: x.stdout })));
  if (r.exitCode === HEALTH_EXIT.noCurl) {
    s.log('no curl on the server: probing through the connection');
    const c = await clientProbes(run, (m) => s.log(m));
    s.detail(`HTTP ${c.status} on ${health.path} after ${c.attempts} probe(s), ${c.ms} ms`);
    return;
  }
  const probes = r.stdout.split('\n').flatMap((l) => parseProbeLine(l) ?? []);
  const last = probes.at(-1);
  const lastText = last ? describeProbe(last, health.path) : 'no probe ran';
  if (r.exitCode === 0 && last?.status) {
    s.detail(`HTTP ${last.status} on ${health.path} after ${last.attempt} probe(s), ${Date.now() - started} ms`);
    return;
  }
  if (r.exitCode === HEALTH_EXIT.stopped)
    throw new InfraktError('HEALTH_CHECK_FAILED', `the new release stopped running (last probe: ${lastText})`);
  if (r.exitCode === HEALTH_EXIT.timedOut)
    throw new InfraktError(
      'HEALTH_CHECK_FAILED',
      `the new release was not healthy within ${Math.round(health.timeoutMs / 1000)} s (last probe: ${lastText})`,
    );
  throw commandFailed(run.ex.target, releaseHealthWait(run), { ...r, stderr: '', durationMs: 0 }, 'health check');
};

const clientProbes = (run: ReleaseRun, log: (m: string) => void) =>
  waitForHealthyResponse(run.ex, {
    port: run.hostPort,
    health: appSettings(run.app).health,
    project: releaseProject(run.app.name, run.release),
    signal: run.job.signal,
    log,
  });
