import { inspectLocalImage } from '../../adapters/local/docker-image.js';
import type { AppRow, ServerRow } from '../../adapters/store/schema.js';
import * as fs from '../../core/commands/fs.js';
import * as swarm from '../../core/commands/swarm.js';
import { InfraktError } from '../../core/errors.js';
import { type Executor, runChecked, type StreamName } from '../../core/executor.js';
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
import type { ClusterRecord } from './clusters.js';
import { clusterDir, deployEdge, withManager } from './manager-session.js';
import { READ_ELECTION_WAIT_MS, reachManager } from './reach-manager.js';
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
  if (app.app_type === 'compose' && opts.localImage !== undefined) {
    throw new InfraktError('UNSUPPORTED', 'a compose app names its images in its compose file: no --local-image', {
      hint: 'name images every node can pull (a registry), or load them on every node beforehand',
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
  const service = serviceOf(app.name);
  const tail = opts.lines ?? 100;
  const signal = opts.signal ? { signal: opts.signal } : {};
  await onAnyManager(ctx, ca.cluster, async (ex) => {
    let lines = 0;
    let lastErr = '';
    const r = await ex.stream(
      swarm.serviceLogs(service, tail),
      (stream, line) => {
        if (stream === 'stderr') {
          lastErr = line;
          if (INCOMPLETE.test(line)) return; // answered below, by the replicas that can be read
        } else lines++;
        opts.onLine(stream, line);
      },
      signal,
    );
    if (r.exitCode === 0 || opts.signal?.aborted) return;
    // Nothing read: when some of the service's tasks are on a node that is down, read the others task by task.
    if (lines === 0 && (await logsOfReachableTasks(ex, service, tail, opts))) return;
    // Some lines came before the failure: they still count.
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

/** Swarm refuses a service's whole log stream when one of its tasks is on a node that is down. */
const INCOMPLETE = /incomplete log stream|is not available/;
/** An RFC 3339 time with its fraction padded to nanoseconds (Docker trims trailing zeros), so strings sort. */
export const sortableTime = (t: string): string =>
  t.replace(/(\.\d+)?Z$/, (_m, f: string | undefined) => `${(f ?? '.').padEnd(10, '0')}Z`);
/** At most this many tasks are read one by one (the newest first, as `docker service ps` lists them). */
const MAX_TASKS = 20;

/**
 * The logs of every task on a node that is up, read task by task (`docker service logs TASK` works when that
 * task's node answers) and merged by timestamp; the nodes left out are named on stderr. False (nothing
 * printed) when no task is on a node that is down: the failure had another cause.
 */
async function logsOfReachableTasks(
  ex: Executor,
  service: string,
  tail: number,
  opts: { signal?: AbortSignal; onLine: (stream: StreamName, line: string) => void },
): Promise<boolean> {
  const signal = opts.signal ? { signal: opts.signal } : {};
  const state = swarm.parseServiceState((await runChecked(ex, swarm.serviceState(service), signal)).stdout);
  const up = new Set(
    swarm
      .parseNodeList((await runChecked(ex, swarm.nodeList(), signal)).stdout)
      .filter((n) => n.status === 'Ready')
      .map((n) => n.hostname),
  );
  const readable = state.tasks.filter((t) => up.has(t.node)).slice(0, MAX_TASKS);
  const down = [...new Set(state.tasks.filter((t) => t.node && !up.has(t.node)).map((t) => t.node))].sort();
  if (down.length === 0) return false;
  const out: { at: string; n: number; line: string }[] = [];
  for (const t of readable) {
    const r = await ex.run(swarm.serviceLogs(t.id, tail), signal);
    if (r.exitCode !== 0) {
      opts.onLine('stderr', `(${t.name}@${t.node}: ${r.stderr.trim().split('\n').at(-1) ?? `exit ${r.exitCode}`})`);
      continue;
    }
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      out.push({ at: sortableTime(/\|\s*(\d{4}-\d\d-\d\dT\S+)/.exec(line)?.[1] ?? ''), n: out.length, line });
    }
  }
  out.sort((a, b) => (a.at === b.at ? a.n - b.n : a.at < b.at ? -1 : 1));
  for (const l of out) opts.onLine('stdout', l.line);
  opts.onLine('stderr', `(replicas on ${down.join(', ')} not shown: the node is down)`);
  return true;
}

/** Reads (`app ps`, `app logs`) go to the first manager that can act, waiting less for an election than a change. */
async function onAnyManager<T>(ctx: Ctx, cluster: ClusterRecord, fn: (ex: Executor) => Promise<T>): Promise<T> {
  const r = await reachManager(ctx, cluster, { electionWaitMs: READ_ELECTION_WAIT_MS });
  try {
    return await fn(r.ex);
  } finally {
    await r.ex.close().catch(() => undefined);
  }
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
