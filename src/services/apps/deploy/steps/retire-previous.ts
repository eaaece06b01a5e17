import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { type BatchPart, type BatchResult, batch, exec, parseBatch, seq } from '../../../../core/cmd/index.js';
import * as caddy from '../../../../core/commands/caddy.js';
import * as docker from '../../../../core/commands/docker.js';
import * as fs from '../../../../core/commands/fs.js';
import { toInfraktError } from '../../../../core/errors.js';
import type { StepHandle } from '../../../../core/jobs.js';
import {
  builtImage,
  currentMarker,
  isReleaseProject,
  releaseProject,
  releasesToPrune,
  servicesProject,
} from '../../../../core/plans/layout.js';
import type { AfterApply } from '../../../proxy/proxy-config.js';
import { serverSettings } from '../../../servers/servers.js';
import { DEFAULT_DRAIN_TIMEOUT_SEC } from '../../app-settings.js';
import { appSettings } from '../../release-source.js';
import type { ReleaseRun, ReleaseStep } from '../release-run.js';

/**
 * The retirement of the releases before this one, as parts of one script: once the requests in flight to the
 * previous release are done (the drain), every other release of the app the server has stops and goes (listed
 * there and then: one orphaned by a deploy killed during its start was never recorded), releases beyond the
 * last three are pruned, the `current` marker is written and the app's server lock released (the deploy's last
 * remote work).
 */
export interface Retirement {
  readonly parts: BatchPart[];
  /** Release projects known to run before this release (from `prepare server`). */
  readonly known: readonly string[];
  /** Of those, the ones not named like a release (`<app>-r<N>`): stopped on their own, the sweep only knows that pattern. */
  readonly others: readonly string[];
  readonly prune: readonly number[];
  readonly unlock: { released: () => void } | null;
  readonly marker: { content: string; staged: string } | null;
  /** The drain before the stops, when it is not a part of the script (retirement on its own). */
  readonly drainMs: number;
  /** What the drain part waits for: Caddy's count of requests in flight to these ports, or a fixed pause. */
  readonly drain: { ports: readonly number[]; timeoutSec: number } | null;
}

/**
 * `withSwitch`: the parts run in the proxy switch's script, only once the new config is live (the drain waits
 * there for Caddy's count of requests in flight to `drainingPorts`, kept in its pool by the switch, and the
 * marker is staged with the config); else they are a script of their own, after a fixed pause.
 */
export function retirement(run: ReleaseRun, o: { withSwitch: boolean; drainingPorts?: readonly number[] }): Retirement {
  const { app } = run;
  const keep = releaseProject(app.name, run.release);
  const known = run.before.projects.filter((p) => p !== keep && p !== servicesProject(app.name));
  const prune = releasesToPrune([...run.before.releases, run.release], [run.release]);
  const unlock = run.session.unlockRequest();
  const settings = appSettings(app);
  // Requests in flight on the previous upstream finish before its containers get SIGTERM (many apps exit at
  // once on it): up to the app's drain timeout. Where Caddy cannot count them, a fixed pause (a second: 250 ms
  // lost one request in 5000 under load on a busy 2-core CI machine).
  const timeoutSec = settings.drainTimeoutSec ?? DEFAULT_DRAIN_TIMEOUT_SEC;
  const drainMs = known.length > 0 && timeoutSec > 0 ? Math.min(settings.drainMs ?? 1000, timeoutSec * 1000) : 0;
  const stopSeconds = settings.stopTimeoutSec ?? 10;
  const drains = o.withSwitch && drainMs > 0;
  const ports = o.drainingPorts ?? [];
  const afterDrain = drains ? { after: 'drain' } : {};
  const { adminAddress } = serverSettings(run.server).proxy;
  const others = known.filter((p) => !isReleaseProject(app.name, p));
  const marker = run.prepared
    ? {
        content: currentMarker(run.release, run.prepared.details.service || 'app'),
        staged: tmpBeside(run.layout.currentFile),
      }
    : null;
  const parts: BatchPart[] = [
    ...(drains
      ? [
          {
            name: 'drain',
            cmd:
              ports.length > 0
                ? caddy.drainUpstreams({ adminAddress, ports, timeoutSec, fallbackMs: drainMs })
                : // Nothing of it was routed through Caddy: a pause (sleep(1) of coreutils takes fractions).
                  exec('sleep', String(drainMs / 1000)),
          },
        ]
      : []),
    ...others.map((p, i) => ({ name: `stop-${i}`, cmd: docker.removeProject(p, { stopSeconds }), ...afterDrain })),
    {
      name: 'retire',
      cmd: docker.removeReleasesExcept({ app: app.name, root: run.server.root_dir, keep, stopSeconds }),
      ...afterDrain,
    },
    // The image tag goes first and may be absent (nothing built, or a failed build undone): the directory decides.
    ...prune.map((n) => ({
      name: `prune-${n}`,
      cmd: seq(docker.rmi(builtImage(app.name, n)), fs.rmrf(run.layout.releaseDir(n))),
    })),
    // The `current` marker of `record release`, written here: one round trip less at the end.
    ...(marker
      ? [
          o.withSwitch
            ? { name: 'current', cmd: fs.mv(marker.staged, run.layout.currentFile) }
            : {
                name: 'current',
                cmd: fs.writeFilesFromStdin([{ path: run.layout.currentFile, mode: 0o644, tmp: marker.staged }]),
                stdin: true,
              },
        ]
      : []),
    ...(unlock ? [{ name: 'unlock-app', cmd: unlock.cmd }] : []),
  ];
  return {
    parts,
    known,
    others,
    prune,
    unlock,
    marker,
    drainMs: drains ? 0 : drainMs,
    drain: drains ? { ports, timeoutSec } : null,
  };
}

/**
 * The retirement as `afterApply` of the proxy switch (the marker staged with the Caddy config); `drainingPorts`
 * are the previous release's upstreams, which the switch keeps in Caddy's pool so that the drain can count them.
 */
export function retirementAfterSwitch(
  run: ReleaseRun,
  drainingPorts: readonly number[],
): { retirement: Retirement; afterApply: AfterApply } {
  const r = retirement(run, { withSwitch: true, drainingPorts });
  return {
    retirement: r,
    afterApply: {
      parts: r.parts,
      ...(r.marker ? { staged: [{ path: r.marker.staged, mode: 0o644, content: r.marker.content }] } : {}),
    },
  };
}

/**
 * `retire previous release`: reports the retirement the proxy switch's script runs after the switch, or runs
 * it as a script of its own (no domain, or a switch that could not carry it). Traffic is on the new release:
 * failures here are reported, never undone (the next deploy retries).
 */
export const retirePrevious: ReleaseStep = async (run, _step, s) => {
  // Without a domain there was no switch: the new release serves from the moment the previous one stops.
  run.switched = true;
  const pending = run.retiring;
  run.retiring = null;
  const r = pending?.retirement ?? retirement(run, { withSwitch: false });
  const results = new Map<string, BatchResult>();
  let stderr = '';
  const failed = (e: unknown) => s.log(`could not retire the previous release: ${toInfraktError(e).message}`, 'stderr');
  if (pending) {
    try {
      for (const p of r.parts) {
        const got = await pending.script.part(p.name);
        if (got) results.set(p.name, got);
        if (p.name === 'drain') reportDrain(run, s, r, got);
      }
      stderr = (await pending.script.done).stderr;
    } catch (e) {
      failed(e);
    }
  } else {
    if (r.drainMs > 0) await new Promise((res) => setTimeout(res, r.drainMs));
    const nonce = randomBytes(12).toString('hex');
    const stdin = r.marker ? { stdin: fs.filesPayload([r.marker.content]) } : {};
    await run.ex
      .run(batch(r.parts, nonce), { signal: run.job.signal, ...stdin })
      .then((res) => {
        for (const [k, v] of parseBatch(res.stdout, nonce)) results.set(k, v);
        stderr = res.stderr;
      })
      .catch(failed);
  }
  if (!run.app.domain) markServing(run);
  report(run, s, r, results, stderr);
};

/** How long the drain took (from the moment traffic switched) and how it ended. */
function reportDrain(run: ReleaseRun, s: StepHandle, r: Retirement, got: BatchResult | null) {
  if (!r.drain) return;
  const took = ` (${((Date.now() - (run.startedAt + run.msToServing)) / 1000).toFixed(2)} s)`;
  const outcome = got ? caddy.parseDrain(got.stdout) : null;
  if (r.drain.ports.length === 0 || !outcome) s.log(`drain: a fixed pause before the stop${took}`);
  else if (outcome.kind === 'drained')
    s.log(
      outcome.mostInFlight > 0
        ? `drain: ${outcome.mostInFlight} request(s) in flight to the previous release finished${took}`
        : `drain: no request in flight to the previous release${took}`,
    );
  else if (outcome.kind === 'timeout')
    s.log(
      `drain: ${outcome.inFlight} request(s) still in flight after the drain timeout (${r.drain.timeoutSec} s): stopping the previous release anyway`,
      'stderr',
    );
  else s.log(`drain: Caddy could not count the requests in flight (${outcome.reason}): a fixed pause${took}`);
}

function report(run: ReleaseRun, s: StepHandle, r: Retirement, results: Map<string, BatchResult>, stderr: string) {
  const ok = (name: string) => results.get(name)?.exitCode === 0;
  if (r.unlock && ok('unlock-app')) r.unlock.released();
  run.currentWritten = r.marker !== null && ok('current');
  // The sweep prints the projects it found (docker's own output goes nowhere); it fails as a whole.
  const sweep = results.get('retire');
  const swept = sweep?.exitCode === 0;
  const found = (sweep?.stdout ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => isReleaseProject(run.app.name, l));
  const retired = [
    ...(swept ? r.known.filter((p) => !r.others.includes(p)) : []),
    ...r.others.filter((_, i) => ok(`stop-${i}`)),
  ];
  for (const [i, p] of r.others.entries()) if (!ok(`stop-${i}`)) s.log(`could not stop ${p}`, 'stderr');
  const orphans = found.filter((p) => !r.known.includes(p));
  if (!swept)
    s.log(
      `could not stop and remove every previous release (${[...new Set([...r.known, ...found])].join(', ')})`,
      'stderr',
    );
  else if (orphans.length > 0) s.log(`removed ${orphans.join(', ')}: left behind by an interrupted deploy`);
  const pruned = r.prune.filter((n) => ok(`prune-${n}`));
  for (const n of r.prune) if (!ok(`prune-${n}`)) s.log(`could not prune release ${n}`, 'stderr');
  if (stderr.trim()) s.log(stderr.trim(), 'stderr');
  const removed = swept ? orphans : [];
  const what = [
    ...(retired.length ? [`stopped ${retired.join(', ')}`] : []),
    ...(removed.length ? [`removed orphaned ${removed.join(', ')}`] : []),
    ...(pruned.length ? [`pruned release(s) ${pruned.join(', ')}`] : []),
  ];
  if (what.length === 0 && r.known.length === 0 && r.prune.length === 0 && orphans.length === 0)
    s.unchanged('no previous release running, nothing to prune');
  else if (what.length === 0) s.detail('nothing retired or pruned (see the log)');
  else s.detail(what.join('; '));
}

/** A temp name next to `path` (same directory: the rename is atomic). */
const tmpBeside = (path: string) =>
  posix.join(posix.dirname(path), `.${posix.basename(path)}.infrakt-${randomBytes(6).toString('hex')}`);

/** The new release serves from now on: kept on the run (the result) and on the job record ("serving"). */
export function markServing(run: ReleaseRun): void {
  const now = Date.now();
  run.msToServing = now - run.startedAt;
  run.job.measure({ servingAt: new Date(now).toISOString() });
}
