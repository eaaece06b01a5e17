import type { ReleaseStep } from '../release-run.js';
import { switchRoute } from '../route-switch.js';
import { markServing } from './retire-previous.js';

/** `switch proxy`: the app's domain now goes to the new release; from here on a failure is not undone. */
export const switchTraffic: ReleaseStep = async (run, _step, s) => {
  const domains = await switchRoute(run.ctx, run.ex, run.server, run.app, run.hostPort, run.job.id, (m) => s.log(m), {
    caddyRunning: run.caddyRunning ?? undefined,
  });
  run.switched = true;
  markServing(run);
  s.detail(`${domains.join(', ')} → 127.0.0.1:${run.hostPort}`);
};
