import { toInfraktError } from '../../../../core/errors.js';
import { currentMarker } from '../../../../core/plans/layout.js';
import { finishDeployment } from '../../releases.js';
import { preparedOf, type ReleaseStep } from '../release-run.js';

/**
 * `record release`: the deployment succeeded; the app's current release is the new one, here and on the server
 * (the `current` marker scheduled tasks read at each run).
 */
export const recordRelease: ReleaseStep = async (run, _step, s) => {
  const p = preparedOf(run);
  // Traffic is on the new release already: a marker that can't be written is reported, not undone.
  await run.ex
    .put(run.layout.currentFile, currentMarker(run.release, p.details.service || 'app'), { mode: 0o644 })
    .catch((e) => s.log(`could not write ${run.layout.currentFile}: ${toInfraktError(e).message}`, 'stderr'));
  await finishDeployment(run.ctx, run.deploymentId, run.app, {
    status: 'succeeded',
    release: run.release,
    hostPort: run.hostPort,
    sourceRef: p.sourceRef,
    details: p.details,
  });
};
