import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { type BatchPart, batch, parseBatch, seq } from '../../../../core/cmd/index.js';
import * as docker from '../../../../core/commands/docker.js';
import * as fs from '../../../../core/commands/fs.js';
import { toInfraktError } from '../../../../core/errors.js';
import {
  builtImage,
  currentMarker,
  releaseProject,
  releasesToPrune,
  servicesProject,
} from '../../../../core/plans/layout.js';
import { appSettings } from '../../release-source.js';
import type { ReleaseRun, ReleaseStep } from '../release-run.js';

/**
 * `retire previous release`: after a short drain, the releases running before stop and releases beyond the
 * last three are pruned — one round trip for all of it, which also releases the app's server lock (the deploy's
 * last remote work; otherwise one more round trip at the end). Traffic is on the new release: failures here
 * are reported, never undone (the next deploy retries).
 */
export const retirePrevious: ReleaseStep = async (run, _step, s) => {
  // Without a domain there was no switch: the new release serves from the moment the previous one stops.
  const { app } = run;
  run.switched = true;
  const keep = releaseProject(app.name, run.release);
  const others = run.before.projects.filter((p) => p !== keep && p !== servicesProject(app.name));
  const prune = releasesToPrune([...run.before.releases, run.release], [run.release]);
  const unlock = run.session.unlockRequest();
  const marker = markerWrite(run);
  if (others.length === 0 && prune.length === 0 && !unlock) {
    if (!app.domain) markServing(run);
    return s.unchanged('no previous release running, nothing to prune');
  }
  // In-flight requests on the previous upstream finish before its containers get SIGTERM.
  const settings = appSettings(app);
  const drainMs = settings.drainMs ?? 250;
  if (others.length > 0 && drainMs > 0) await new Promise((r) => setTimeout(r, drainMs));
  const stopSeconds = settings.stopTimeoutSec ?? 10;
  const parts: BatchPart[] = [
    ...others.map((p, i) => ({ name: `stop-${i}`, cmd: docker.removeProject(p, { stopSeconds }) })),
    // The image tag goes first and may be absent (nothing built, or a failed build undone): the directory decides.
    ...prune.map((n) => ({
      name: `prune-${n}`,
      cmd: seq(docker.rmi(builtImage(app.name, n)), fs.rmrf(run.layout.releaseDir(n))),
    })),
    // The `current` marker of `record release`, written here: one round trip less at the end.
    ...(marker ? [{ name: 'current', cmd: marker.cmd, stdin: true }] : []),
    ...(unlock ? [{ name: 'unlock', cmd: unlock.cmd }] : []),
  ];
  const nonce = randomBytes(12).toString('hex');
  const results = await run.ex
    .run(batch(parts, nonce), { signal: run.job.signal, ...(marker ? { stdin: marker.stdin } : {}) })
    .then((r) => ({ parsed: parseBatch(r.stdout, nonce), stderr: r.stderr }))
    .catch((e) => {
      s.log(`could not retire the previous release: ${toInfraktError(e).message}`, 'stderr');
      return { parsed: new Map(), stderr: '' };
    });
  if (!app.domain) markServing(run);
  const ok = (name: string) => results.parsed.get(name)?.exitCode === 0;
  if (unlock && ok('unlock')) unlock.released();
  run.currentWritten = marker !== null && ok('current');
  const retired = others.filter((_, i) => ok(`stop-${i}`));
  const pruned = prune.filter((n) => ok(`prune-${n}`));
  for (const [i, p] of others.entries()) if (!ok(`stop-${i}`)) s.log(`could not stop ${p}`, 'stderr');
  for (const n of prune) if (!ok(`prune-${n}`)) s.log(`could not prune release ${n}`, 'stderr');
  if (results.stderr.trim()) s.log(results.stderr.trim(), 'stderr');
  const what = [
    ...(retired.length ? [`stopped ${retired.join(', ')}`] : []),
    ...(pruned.length ? [`pruned release(s) ${pruned.join(', ')}`] : []),
  ];
  if (what.length === 0 && others.length === 0 && prune.length === 0)
    s.unchanged('no previous release running, nothing to prune');
  else if (what.length === 0) s.detail('nothing retired or pruned (see the log)');
  else s.detail(what.join('; '));
};

/** The atomic write of the release's `current` marker (scheduled tasks read it at each run). */
function markerWrite(run: ReleaseRun) {
  if (!run.prepared) return null;
  const path = run.layout.currentFile;
  const tmp = posix.join(posix.dirname(path), `.${posix.basename(path)}.infrakt-${randomBytes(6).toString('hex')}`);
  return {
    cmd: fs.writeFilesFromStdin([{ path, mode: 0o644, tmp }]),
    stdin: fs.filesPayload([currentMarker(run.release, run.prepared.details.service || 'app')]),
  };
}

/** The new release serves from now on: kept on the run (the result) and on the job record ("serving"). */
export function markServing(run: ReleaseRun): void {
  const now = Date.now();
  run.msToServing = now - run.startedAt;
  run.job.measure({ servingAt: new Date(now).toISOString() });
}
