import { seq } from '../../../../core/cmd/index.js';
import * as docker from '../../../../core/commands/docker.js';
import * as fs from '../../../../core/commands/fs.js';
import { toInfraktError } from '../../../../core/errors.js';
import { runChecked } from '../../../../core/executor.js';
import { builtImage, releaseProject, releasesToPrune, servicesProject } from '../../../../core/plans/layout.js';
import { appSettings } from '../../release-source.js';
import type { ReleaseRun, ReleaseStep } from '../release-run.js';

/**
 * `retire previous release`: the releases running before stop (after a short drain) and releases beyond the
 * last three are pruned, side by side. Traffic is on the new release: failures here are reported, never
 * undone (the next deploy retries).
 */
export const retirePrevious: ReleaseStep = async (run, _step, s) => {
  // Without a domain there was no switch: the new release serves from the moment the previous one stops.
  if (!run.app.domain) run.msToServing = Date.now() - run.startedAt;
  run.switched = true;
  const [retired, pruned] = await Promise.all([
    retireOthers(run).catch((e) => {
      s.log(`could not stop the previous release: ${toInfraktError(e).message}`, 'stderr');
      return [] as string[];
    }),
    pruneReleases(run).catch((e) => {
      s.log(`could not prune old releases: ${toInfraktError(e).message}`, 'stderr');
      return [] as number[];
    }),
  ]);
  const what = [
    ...(retired.length ? [`stopped ${retired.join(', ')}`] : []),
    ...(pruned.length ? [`pruned release(s) ${pruned.join(', ')}`] : []),
  ];
  if (what.length === 0) s.unchanged('no previous release running, nothing to prune');
  else s.detail(what.join('; '));
};

async function retireOthers(run: ReleaseRun): Promise<string[]> {
  const { app } = run;
  const keep = releaseProject(app.name, run.release);
  const others = run.before.projects.filter((p) => p !== keep && p !== servicesProject(app.name));
  if (others.length === 0) return [];
  // In-flight requests on the previous upstream finish before its containers get SIGTERM.
  const drainMs = appSettings(app).drainMs ?? 250;
  if (drainMs > 0) await new Promise((r) => setTimeout(r, drainMs));
  await Promise.all(
    others.map((p) => runChecked(run.ex, docker.removeProject(p), { signal: run.job.signal, what: `stop ${p}` })),
  );
  return others;
}

async function pruneReleases(run: ReleaseRun): Promise<number[]> {
  const prune = releasesToPrune([...run.before.releases, run.release], [run.release]);
  await Promise.all(prune.map((n) => removeRelease(run, n)));
  return prune;
}

// The image tag goes first and may be absent (nothing built, or a failed build undone): the directory decides.
const removeRelease = (run: ReleaseRun, n: number) =>
  runChecked(run.ex, seq(docker.rmi(builtImage(run.app.name, n)), fs.rmrf(run.layout.releaseDir(n))), {
    what: `remove release ${n}`,
  });
