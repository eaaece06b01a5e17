import { routedPorts } from '../../app-domains.js';
import type { ReleaseStep } from '../release-run.js';
import { switchRoute } from '../route-switch.js';
import { markServing, retirementAfterSwitch } from './retire-previous.js';

/**
 * `switch proxy`: the app's domain now goes to the new release; from here on a failure is not undone. The
 * retirement of the previous release travels in the same script, run there only once the new config is live
 * (one round trip for both; `retire previous release` reports it as its parts arrive).
 */
export const switchTraffic: ReleaseStep = async (run, _step, s) => {
  const retiring = run.plan.some((p) => p.kind === 'retire' && !p.skippedBecause);
  // The previous release's upstreams stay in Caddy's pool (never chosen) so that the drain can count them.
  const drainingPorts = retiring
    ? (await routedPorts(run.ctx.store.db, run.app.id)).filter((p) => p !== run.hostPort)
    : [];
  const retire = retiring ? retirementAfterSwitch(run, drainingPorts) : null;
  const { domains, afterScript } = await switchRoute(
    run.ctx,
    run.ex,
    run.server,
    run.app,
    run.hostPort,
    run.job.id,
    (m) => s.log(m),
    {
      caddyRunning: run.caddyRunning ?? undefined,
      // No cancel signal, as before: a switch is never cut between the swap and the reload.
      ...(retire ? { afterApply: retire.afterApply, drainingPorts } : {}),
    },
  );
  run.switched = true;
  markServing(run);
  if (retire && afterScript) run.retiring = { script: afterScript, retirement: retire.retirement };
  s.detail(`${domains.join(', ')} → 127.0.0.1:${run.hostPort}`);
};
