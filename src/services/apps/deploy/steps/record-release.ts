import { toInfraktError } from '../../../../core/errors.js';
import { currentMarker } from '../../../../core/plans/layout.js';
import { runtimeSnapshot } from '../../app-settings.js';
import { updateApp } from '../../apps.js';
import { finishDeployment } from '../../releases.js';
import { preparedOf, type ReleaseStep } from '../release-run.js';

/**
 * `record release`: the deployment succeeded; the app's current release is the new one, here and on the server
 * (the `current` marker scheduled tasks read at each run), recorded with how it was configured (so `app show`
 * can say what a later `app update` leaves pending). A local image deployed with `--local-image` becomes the
 * app's image.
 */
export const recordRelease: ReleaseStep = async (run, _step, s) => {
  const p = preparedOf(run);
  // Traffic is on the new release already: a marker that can't be written is reported, not undone. Usually
  // the retirement's script wrote it already.
  if (!run.currentWritten)
    await run.ex
      .put(run.layout.currentFile, currentMarker(run.release, p.details.service || 'app'), { mode: 0o644 })
      .catch((e) => s.log(`could not write ${run.layout.currentFile}: ${toInfraktError(e).message}`, 'stderr'));
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
