import * as git from '../../../../core/commands/git.js';
import { InfraktError } from '../../../../core/errors.js';
import { runChecked } from '../../../../core/executor.js';
import type { DeployStep } from '../../../../core/plans/deploy.js';
import { pullAuth } from '../../../registries/registries.js';
import { assertGitSourceAllowed } from '../../git-access.js';
import { runGitFetch } from '../../git-fetch.js';
import { assertComposeAllowed, repoComposeCheck, rollbackComposeCheck } from '../../privileges.js';
import {
  appSettings,
  composeRelease,
  ensureComposeImages,
  gitSource,
  imageSource,
  type PreparedRelease,
  reuseSource,
  type SourceCtx,
} from '../../release-source.js';
import { type ReleaseRun, type ReleaseStep, sourceCtx } from '../release-run.js';

/**
 * `check image` / `fetch git source` / `validate compose file` / `reuse release source`: the release's source
 * made ready on the server and turned into its compose files (nothing is built yet). Images missing on the
 * server are pulled (with the server's registry login for private registries) unless its pull policy is never.
 */
export const fetchSource: ReleaseStep = async (run, step, s) => {
  run.prepared = await prepare(run, step);
  s.detail(run.prepared.sourceRef);
};

async function prepare(run: ReleaseRun, step: DeployStep): Promise<PreparedRelease> {
  const sc: SourceCtx = { ...sourceCtx(run), auth: await pullAuth(run.ctx, run.server) };
  const { app, req } = run;
  if (req.from) {
    const from = req.from.release;
    // A rollback starts a kept compose file again: checked as a deploy of it would be now (apps/privileges.ts).
    // An env push restarts the release already serving with new variables: nothing it starts is new.
    const vet =
      req.action === 'rollback'
        ? async (yaml: string) => assertComposeAllowed(run.ctx, yaml, await rollbackComposeCheck(run.ctx, app, from))
        : undefined;
    return reuseSource(sc, from, req.from.details, req.from.sourceRef, vet);
  }
  if (app.app_type === 'image') {
    // A --local-image deploy names the sent image; otherwise the app's image (inspected once by the plan).
    if (req.localImage) return imageSource(sc, req.localImage.ref);
    return imageSource(sc, app.image!, run.inspectedImage ?? undefined);
  }
  if (app.app_type === 'git') {
    const [sync, head] = step.cmds ?? [];
    // Checked again right before the fetch (the name may resolve elsewhere now), and the fetch is pinned to the
    // addresses this check accepted (curl's resolve list for https, ssh's HostName for SSH): git must not
    // resolve the name again on the server (DNS rebinding).
    const checked = await assertGitSourceAllowed(run.ctx, run.server, app.git_repo ?? '');
    const dir = run.layout.srcDir;
    const fetch =
      checked?.kind !== 'https'
        ? sync!
        : req.commit
          ? git.syncCommit(checked.url, req.commit.sha, req.commit.refs ?? [app.branch ?? 'main'], dir, checked)
          : git.syncBranch(checked.url, app.branch ?? 'main', dir, checked);
    await runGitFetch(
      { ctx: run.ctx, ex: run.ex, job: run.job, app, server: run.server, layout: run.layout, log: sc.log, checked },
      fetch,
    );
    const commit = (await runChecked(run.ex, head!, { what: 'git rev-parse' })).stdout.trim();
    // The checkout named the requested commit; this proves it before anything is built from it.
    if (req.commit && commit !== req.commit.sha) {
      throw new InfraktError('STATE', `the checkout is at ${commit}, not the requested commit ${req.commit.sha}`);
    }
    const prepared = await gitSource(sc, commit);
    if (prepared.sourceYaml !== undefined) {
      // The file as fetched: what a deploy by someone below admin (a webhook, a preview) may run (apps/privileges.ts).
      const check = await repoComposeCheck(run.ctx, app, prepared.repoComposeFile ?? 'compose file');
      assertComposeAllowed(run.ctx, prepared.sourceYaml, check);
      await ensureComposeImages(sc, prepared.sourceYaml);
    }
    return prepared;
  }
  const content = appSettings(app).compose!.content;
  await ensureComposeImages(sc, content, run.checkedComposeImages ?? undefined);
  return composeRelease(sc, content, {});
}
