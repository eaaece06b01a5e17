import { runtimeSnapshot } from '../../app-settings.js';
import { updateApp } from '../../apps.js';
import { finishDeployment } from '../../releases.js';
import { preparedOf, type ReleaseStep } from '../release-run.js';

/**
 * `record release`: the deployment succeeded; the app's current release is the new one, recorded with how it
 * was configured (so `app show` can say what a later `app update` leaves pending). A local image deployed with
 * `--local-image` becomes the app's image.
 */
export const recordRelease: ReleaseStep = async (run) => {
  const p = preparedOf(run);
  const local = run.req.localImage;
  const app = local ? { ...run.app, image: local.ref } : run.app;
  if (local && run.app.image !== local.ref) await updateApp(run.ctx, run.app.id, { image: local.ref });
  const snapshot = runtimeSnapshot(app);
  // A rollback runs the kept release's source, whatever the app's source setting says now.
  const from = run.req.from?.details;
  if (run.req.action === 'rollback' && from) snapshot.source = from.runtime?.source ?? from.image ?? snapshot.source;
  await finishDeployment(run.ctx, run.deploymentId, run.app, {
    status: 'succeeded',
    release: run.release,
    hostPort: run.hostPort,
    sourceRef: p.sourceRef,
    details: { ...p.details, runtime: snapshot },
  });
};
