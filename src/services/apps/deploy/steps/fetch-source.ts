import * as git from '../../../../core/commands/git.js';
import { runChecked } from '../../../../core/executor.js';
import type { DeployStep } from '../../../../core/plans/deploy.js';
import { assertGitSource } from '../../apps.js';
import {
  appSettings,
  composeRelease,
  gitSource,
  imageSource,
  type PreparedRelease,
  reuseSource,
} from '../../release-source.js';
import { type ReleaseRun, type ReleaseStep, sourceCtx } from '../release-run.js';

/**
 * `check image` / `fetch git source` / `validate compose file` / `reuse release source`: the release's source
 * made ready on the server and turned into its compose files (nothing is built yet).
 */
export const fetchSource: ReleaseStep = async (run, step, s) => {
  run.prepared = await prepare(run, step);
  s.detail(run.prepared.sourceRef);
};

async function prepare(run: ReleaseRun, step: DeployStep): Promise<PreparedRelease> {
  const sc = sourceCtx(run);
  const { app, req } = run;
  if (req.from) return reuseSource(sc, req.from.release, req.from.details, req.from.sourceRef);
  if (app.app_type === 'image') return imageSource(sc, app.image!, run.inspectedImage ?? undefined);
  if (app.app_type === 'git') {
    const [sync, head] = step.cmds ?? [];
    // Checked again right before the fetch (the name may resolve elsewhere now), and the fetch is pinned to
    // the addresses this check accepted: git must not resolve the name again on the server (DNS rebinding).
    const repo = app.git_repo ?? '';
    const checked = repo.startsWith('/') ? null : await assertGitSource(run.ctx, repo);
    const fetch = checked ? git.syncBranch(checked.url, app.branch ?? 'main', run.layout.srcDir, checked) : sync!;
    await runChecked(run.ex, fetch, { what: 'git fetch' });
    const commit = (await runChecked(run.ex, head!, { what: 'git rev-parse' })).stdout.trim();
    return gitSource(sc, commit);
  }
  return composeRelease(sc, appSettings(app).compose!.content, {});
}
