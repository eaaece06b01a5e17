import { releaseProject } from '../../../../core/plans/layout.js';
import { waitForHealthyResponse } from '../../health-check.js';
import { appSettings } from '../../release-source.js';
import type { ReleaseStep } from '../release-run.js';

/** `health check`: the app's health path answers on the new release's port (through the server) in time. */
export const checkHealth: ReleaseStep = async (run, _step, s) => {
  const { health } = appSettings(run.app);
  const r = await waitForHealthyResponse(run.ex, {
    port: run.hostPort,
    health,
    project: releaseProject(run.app.name, run.release),
    signal: run.job.signal,
    log: (m) => s.log(m),
  });
  s.detail(`HTTP ${r.status} on ${health.path} after ${r.attempts} probe(s), ${r.ms} ms`);
};
