import { inspectLocalImage } from '../../adapters/local/docker-image.js';
import type { AppRow, ServerRow } from '../../adapters/store/schema.js';
import * as fs from '../../core/commands/fs.js';
import * as swarm from '../../core/commands/swarm.js';
import { InfraktError, toInfraktError } from '../../core/errors.js';
import { runChecked, type StreamName } from '../../core/executor.js';
import { imageSchema } from '../../core/schemas/common.js';
import { parseInput } from '../../core/schemas/parse.js';
import type { ClusterAppPsView, ClusterDeployResult } from '../../core/schemas/views/clusters.js';
import { serviceOf, stackOf } from '../../core/swarm/stack.js';
import { resolveApp } from '../apps/apps.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { appJobSpec } from '../shared/job-spec.js';
import { clusterAppOf } from './cluster-apps.js';
import { prepareClusterDeploy, prepareClusterRollback, prepareClusterScale } from './cluster-deploy.js';
import { type ClusterRecord, managersOf } from './clusters.js';
import { clusterDir, deployEdge, withManager } from './manager-session.js';
import { waitStackGone } from './stack-ops.js';

type Opts = { server?: string | undefined; wait?: boolean | undefined };
type DeployOpts = Opts & { commit?: string | undefined; localImage?: string | undefined };

/** The deploy of an app when it runs on a cluster (null: a single-server app, deployed by the deploy engine). */
export async function clusterDeployPlan(
  ctx: Ctx,
  name: string,
  opts: DeployOpts,
): Promise<JobPlan<ClusterDeployResult> | null> {
  const { app, server } = await resolveApp(ctx, name, opts.server);
  const ca = await clusterAppOf(ctx, app);
  if (!ca) return null;
  // Cluster apps run an image (from a registry, or this machine's with --local-image): no commits.
  if (opts.commit !== undefined) {
    throw new InfraktError('UNSUPPORTED', 'a cluster app deploys an image; --commit is for git apps', {
      hint: `infrakt app deploy ${name}`,
    });
  }
  // An image of this machine, checked here before any job: it is then sent to every node.
  const localImage =
    opts.localImage === undefined
      ? undefined
      : await inspectLocalImage(parseInput(imageSchema, opts.localImage, 'local image'));
  return prepareClusterDeploy(ctx, app, server, ca, { wait: opts.wait, localImage });
}

export async function clusterRollbackPlan(ctx: Ctx, name: string, opts: Opts & { to?: number | undefined }) {
  const { app, server } = await resolveApp(ctx, name, opts.server);
  const ca = await clusterAppOf(ctx, app);
  if (!ca) return null;
  if (opts.to !== undefined) {
    throw new InfraktError('UNSUPPORTED', 'a cluster app rolls back to its previous release only (Swarm keeps one)', {
      hint: `drop --to: infrakt app rollback ${name}`,
    });
  }
  return prepareClusterRollback(ctx, app, server, ca, opts);
}

/** `app scale APP N` (cluster apps). */
export async function prepareScale(ctx: Ctx, name: string, replicas: number, opts: Opts = {}) {
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 100) {
    throw new InfraktError('VALIDATION', 'replicas must be a whole number from 0 to 100');
  }
  const { app, server } = await resolveApp(ctx, name, opts.server);
  const ca = await clusterAppOf(ctx, app);
  if (!ca) throw notOnCluster(app.name);
  return prepareClusterScale(ctx, app, server, ca, replicas);
}

export const notOnCluster = (name: string) =>
  new InfraktError('UNSUPPORTED', `'${name}' runs on one server, not on a cluster`, {
    hint: 'replicas are for cluster apps (app create --cluster C --replicas N)',
  });

/** `app ps`: the replicas of a cluster app (node, state, errors) as a reachable manager reports them. */
export async function clusterAppPs(ctx: Ctx, name: string, opts: Opts = {}): Promise<ClusterAppPsView> {
  const { app } = await resolveApp(ctx, name, opts.server);
  const ca = await clusterAppOf(ctx, app);
  if (!ca) throw notOnCluster(app.name);
  return onAnyManager(ctx, ca.cluster, async (ex) => {
    const service = serviceOf(app.name);
    const r = await ex.run(swarm.serviceState(service), { timeoutMs: 30_000 });
    if (r.exitCode !== 0) {
      throw new InfraktError('STATE', `'${app.name}' has no service on cluster '${ca.cluster.row.name}'`, {
        hint: `deploy it: infrakt app deploy ${app.name}`,
      });
    }
    const st = swarm.parseServiceState(r.stdout);
    return {
      app: app.name,
      cluster: ca.cluster.row.name,
      service,
      image: st.image,
      replicas: st.replicas,
      running: st.tasks.filter((t) => t.desiredState === 'Running' && t.currentState.startsWith('Running')).length,
      updateState: st.updateState,
      tasks: st.tasks.slice(0, 200),
    };
  });
}

/** `app logs` of a cluster app: every replica's lines, each prefixed by its task and node (docker service logs). */
export async function clusterAppLogs(
  ctx: Ctx,
  app: AppRow,
  opts: { lines?: number; signal?: AbortSignal; onLine: (stream: StreamName, line: string) => void },
): Promise<boolean> {
  const ca = await clusterAppOf(ctx, app);
  if (!ca) return false;
  await onAnyManager(ctx, ca.cluster, async (ex) => {
    let lines = 0;
    let lastErr = '';
    const r = await ex.stream(
      swarm.serviceLogs(serviceOf(app.name), opts.lines ?? 100),
      (stream, line) => {
        if (stream === 'stderr') lastErr = line;
        else lines++;
        opts.onLine(stream, line);
      },
      { ...(opts.signal ? { signal: opts.signal } : {}) },
    );
    if (r.exitCode === 0 || opts.signal?.aborted) return;
    // Tasks of a node that is down have no readable logs: the other replicas' lines still count.
    if (lines > 0) {
      opts.onLine('stderr', `(some replicas' logs could not be read${lastErr ? `: ${lastErr}` : ''})`);
      return;
    }
    throw new InfraktError(
      'COMMAND_FAILED',
      `docker service logs exited ${r.exitCode}${lastErr ? `: ${lastErr}` : ''}`,
    );
  });
  return true;
}

async function onAnyManager<T>(
  ctx: Ctx,
  cluster: ClusterRecord,
  fn: (ex: Awaited<ReturnType<Ctx['connect']>>) => Promise<T>,
) {
  const errors: string[] = [];
  for (const m of managersOf(cluster)) {
    let ex: Awaited<ReturnType<Ctx['connect']>>;
    try {
      ex = await ctx.connect(m.server);
    } catch (e) {
      errors.push(`${m.server.name}: ${toInfraktError(e).message}`);
      continue;
    }
    try {
      return await fn(ex);
    } finally {
      await ex.close();
    }
  }
  throw new InfraktError('SSH_UNREACHABLE', `no manager of cluster '${cluster.row.name}' is reachable`, {
    hint: errors.join('; '),
  });
}

/** `app destroy` of a cluster app: its stack removed (every replica), its stack file, its route on the edge, the record. */
export async function prepareClusterAppDestroy(
  ctx: Ctx,
  app: AppRow,
  server: ServerRow,
): Promise<JobPlan<{ app: string; removed: string[]; keptVolumes: boolean }> | null> {
  const ca = await clusterAppOf(ctx, app);
  if (!ca) return null;
  return {
    spec: appJobSpec(app, server, 'app.destroy', {
      params: { app: app.name, cluster: ca.settings.cluster },
      steps: ['connect to a manager', 'remove stack', 'forget app', 'update edge proxy'],
    }),
    body: (job) =>
      withManager(ctx, job, ca.cluster, async (m) => {
        await job.step('remove stack', async (s) => {
          await runChecked(m.ex, swarm.stackRemove(stackOf(app.name)), { what: 'docker stack rm' });
          await waitStackGone(m.ex, stackOf(app.name), job.signal);
          await m.ex.run(fs.rmrf(`${clusterDir(m.manager, ca.cluster.row.name)}/apps/${app.name}.yml`));
          s.detail(stackOf(app.name));
        });
        await job.step('forget app', async () => {
          await ctx.store.db.deleteFrom('apps').where('id', '=', app.id).execute();
        });
        await job.step('update edge proxy', (s) => deployEdge(ctx, m, ca.cluster, s));
        await audit(ctx, 'app.destroy', `cluster/${ca.cluster.row.name}/${app.name}`, {});
        // A cluster app has no volumes of its own (image apps with replicas): nothing is kept.
        return { app: app.name, removed: [stackOf(app.name)], keptVolumes: false };
      }),
  };
}
