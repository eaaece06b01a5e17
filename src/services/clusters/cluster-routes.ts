import type { AppRow, ServerRow } from '../../adapters/store/schema.js';
import * as swarm from '../../core/commands/swarm.js';
import { InfraktError } from '../../core/errors.js';
import type { Executor } from '../../core/executor.js';
import type { StepHandle } from '../../core/jobs.js';
import type { AppUpdateResult } from '../../core/schemas/views/apps.js';
import type { Ctx } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { appJobSpec } from '../shared/job-spec.js';
import type { clusterAppOf } from './cluster-apps.js';
import { sleep } from './converge.js';
import { deployEdge, EDGE_SERVICE, withManager } from './manager-session.js';

type ClusterApp = NonNullable<Awaited<ReturnType<typeof clusterAppOf>>>;

/** How long the edge's rolling update (one node at a time, stop-first, 5 s monitor each) may take. */
const EDGE_ROLLOUT_MS = 180_000;

/**
 * `app update --domain` of a deployed cluster app: the same promise as on one server, routes live at once. The
 * new domains are written, the edge proxy's Caddyfile re-rendered from them and rolled out to every node, and
 * the job ends when every node's Caddy runs the new config. When the edge cannot be updated (or Swarm rolls it
 * back), the previous domains are written back and the job fails: the old routes keep serving.
 */
export function clusterRoutePlan(
  ctx: Ctx,
  app: AppRow,
  server: ServerRow,
  ca: ClusterApp,
  domains: string[],
  o: {
    /** Writes the update (domains and the rest); returns what puts the app's row and domains back. */
    write: () => Promise<() => Promise<void>>;
    finish: (routes: AppUpdateResult['routes']) => Promise<AppUpdateResult>;
  },
): JobPlan<AppUpdateResult> {
  return {
    spec: appJobSpec(app, server, 'app.update', {
      params: { app: app.name, cluster: ca.settings.cluster, domains },
      steps: ['connect to a manager', 'update edge proxy'],
    }),
    body: (job) =>
      withManager(ctx, job, ca.cluster, async (m) => {
        await job.step('update edge proxy', async (s) => {
          const before = swarm.parseServiceState((await m.ex.run(swarm.serviceState(EDGE_SERVICE))).stdout || '{}');
          // The replicas listen on the port of the release that runs: a port change waits for the next deploy.
          const portOf = new Map([[app.id, app.port]]);
          const restore = await o.write();
          try {
            const { configName } = await deployEdge(ctx, m, ca.cluster, s, { portOf });
            if (!before.configNames.includes(configName))
              await waitEdgeRollout(m.ex, s, before.updateStartedAt, job.signal);
          } catch (e) {
            await restore();
            s.log('the edge proxy did not take the new routes: the previous domains were put back', 'stderr');
            throw e;
          }
          s.detail(
            domains.length
              ? `${domains.join(', ')} → ${app.name} on every node of ${ca.settings.cluster}`
              : 'no domains: routes removed',
          );
        });
        return o.finish('applied');
      }),
  };
}

/**
 * Follows the edge service's rolling update until every node runs the new config. Swarm rolls a failed update
 * back (failure_action rollback): then the step fails, with Swarm's message.
 */
async function waitEdgeRollout(ex: Executor, s: StepHandle, before: string | null, signal: AbortSignal) {
  const deadline = Date.now() + EDGE_ROLLOUT_MS;
  let last = '';
  for (;;) {
    const r = await ex.run(swarm.serviceState(EDGE_SERVICE), { signal, timeoutMs: 60_000 });
    if (r.exitCode === 0) {
      const st = swarm.parseServiceState(r.stdout);
      const started = st.updateStartedAt !== null && st.updateStartedAt !== before;
      const state = started ? (st.updateState ?? 'updating') : 'waiting for the rollout to start';
      if (state !== last) s.log(`edge proxy: ${state.replace('_', ' ')}`);
      last = state;
      if (started && state === 'completed') return;
      if (started && /^rollback|paused/.test(state)) {
        throw new InfraktError('COMMAND_FAILED', `the edge proxy's update did not complete (${state})`, {
          details: st.updateMessage ? { message: st.updateMessage } : undefined,
          hint: 'see the edge tasks: docker service ps infrakt-edge_caddy (on a manager)',
        });
      }
    }
    if (Date.now() > deadline)
      throw new InfraktError('TIMEOUT', `the edge proxy's update did not finish in ${EDGE_ROLLOUT_MS / 1000} s`);
    await sleep(1000, signal);
    if (signal.aborted) throw new InfraktError('CANCELLED', 'cancelled while the edge proxy was updating');
  }
}
