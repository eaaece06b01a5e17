import * as compose from '../../../../core/commands/compose.js';
import * as docker from '../../../../core/commands/docker.js';
import { runChecked } from '../../../../core/executor.js';
import { preparedOf, type ReleaseStep, releaseTargetOf, servicesTargetOf } from '../release-run.js';

/**
 * `build image` (deploys of git and compose sources): the repository's Dockerfile as the release's image, or
 * compose's `build:` sections (the other services first, then the routed one, from the files just written).
 */
export const buildImage: ReleaseStep = async (run, _step, s) => {
  const p = preparedOf(run);
  const opts = { signal: run.job.signal };
  if (p.dockerfile) {
    const { tag, context } = p.dockerfile;
    s.log(`building ${tag} from the repository's Dockerfile`);
    await runChecked(run.ex, docker.build(tag, context), { what: 'docker build' });
    s.detail(tag);
    return;
  }
  if (!p.composeBuild) return s.unchanged('nothing to build: every image is given');
  if (p.servicesFile !== null)
    await runChecked(run.ex, compose.build(servicesTargetOf(run)), { ...opts, what: 'compose build (services)' });
  await runChecked(run.ex, compose.build(releaseTargetOf(run)), { ...opts, what: 'compose build' });
  s.detail(p.servicesFile !== null ? 'compose build (release and services)' : 'compose build');
};
