import * as git from '../../../../core/commands/git.js';
import { InfraktError } from '../../../../core/errors.js';
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
    const dir = run.layout.srcDir;
    const fetch = !checked
      ? sync!
      : req.commit
        ? git.syncCommit(checked.url, req.commit.sha, req.commit.refs ?? [app.branch ?? 'main'], dir, checked)
        : git.syncBranch(checked.url, app.branch ?? 'main', dir, checked);
    await runChecked(run.ex, fetch, {
      what: req.commit ? `git fetch of commit ${req.commit.sha.slice(0, 12)}` : 'git fetch',
    });
    const commit = (await runChecked(run.ex, head!, { what: 'git rev-parse' })).stdout.trim();
    // The checkout named the requested commit; this proves it before anything is built from it.
    if (req.commit && commit !== req.commit.sha) {
      throw new InfraktError('STATE', `the checkout is at ${commit}, not the requested commit ${req.commit.sha}`);
    }
    return gitSource(sc, commit);
  }
  return composeRelease(sc, appSettings(app).compose!.content, {});
}
