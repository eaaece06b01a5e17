import { finishDeployment } from '../../releases.js';
import { preparedOf, type ReleaseStep } from '../release-run.js';

/** `record release`: the deployment succeeded; the app's current release is the new one. */
export const recordRelease: ReleaseStep = async (run) => {
  const p = preparedOf(run);
  await finishDeployment(run.ctx, run.deploymentId, run.app, {
    status: 'succeeded',
    release: run.release,
    hostPort: run.hostPort,
    sourceRef: p.sourceRef,
    details: p.details,
  });
};
