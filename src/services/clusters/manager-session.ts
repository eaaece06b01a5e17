import { createHash } from 'node:crypto';
import { mkdirp } from '../../core/commands/fs.js';
import * as swarm from '../../core/commands/swarm.js';
import { type Executor, runChecked } from '../../core/executor.js';
import type { JobContext, StepHandle } from '../../core/jobs.js';
import { leaderOf } from '../../core/swarm/manager-probe.js';
import { EDGE_STACK, renderEdgeCaddyfile, renderEdgeStack } from '../../core/swarm/stack.js';
import { extraDomains } from '../apps/app-domains.js';
import type { Ctx } from '../shared/context.js';
import { type ClusterMember, type ClusterRecord, clusterApps } from './clusters.js';
import { reachManager } from './reach-manager.js';

export interface ManagerSession {
  ex: Executor;
  manager: ClusterMember;
}

/**
 * Opens a connection to the first manager of the cluster that can act (reachable, engine up, still a manager,
 * its swarm with a leader; see reach-manager.ts): with several managers the cluster keeps working when one is
 * down. Recorded as the step `connect to a manager`, with the managers passed over in its log.
 */
export async function withManager<T>(
  ctx: Ctx,
  job: JobContext,
  cluster: ClusterRecord,
  fn: (m: ManagerSession) => Promise<T>,
  o: { excludeServerId?: number } = {},
): Promise<T> {
  const session = await job.step('connect to a manager', async (s) => {
    const r = await reachManager(ctx, cluster, {
      signal: job.signal,
      onNote: (line) => s.log(line, 'stderr'),
      excludeServerId: o.excludeServerId,
    });
    const leader = leaderOf(r.nodes);
    s.detail(
      `${r.manager.server.name} (${r.ex.target})${leader ? `, leader ${leader}` : ''}` +
        (r.passedOver.length ? `; passed over ${r.passedOver.map((p) => p.server).join(', ')}` : ''),
    );
    return { ex: r.ex, manager: r.manager };
  });
  try {
    return await fn(session);
  } finally {
    await session.ex.close().catch(() => undefined);
  }
}

/** Where infrakt keeps a cluster's stack files on a manager. */
export const clusterDir = (manager: ClusterMember, cluster: string): string =>
  `${manager.server.root_dir}/clusters/${cluster}`;

/**
 * (Re)deploys the cluster's edge proxy: Caddy on every node, its Caddyfile rendered from the cluster apps'
 * domains and shipped as a Swarm config whose name carries the content hash (configs are immutable, so a new
 * routing table is a new config and a rolling update of the edge service). Unchanged routes: no update.
 */
export async function deployEdge(
  ctx: Ctx,
  m: ManagerSession,
  cluster: ClusterRecord,
  s: StepHandle,
  /** App id -> the port its replicas listen on now, where the record already holds a port not yet deployed. */
  o: { portOf?: ReadonlyMap<number, number> } = {},
): Promise<{ configName: string }> {
  const apps = await clusterApps(ctx, cluster.row.id);
  // Every domain of an app (the primary and those added with more --domain), each a site of the edge.
  const extra = await extraDomains(
    ctx.store.db,
    apps.map((a) => a.id),
  );
  const routes = apps.flatMap((a) =>
    a.domain
      ? [a.domain, ...(extra.get(a.id) ?? [])].map((domain) => ({
          domain,
          app: a.name,
          port: o.portOf?.get(a.id) ?? a.port,
        }))
      : [],
  );
  const caddyfile = renderEdgeCaddyfile(routes);
  const configName = `infrakt-edge-${createHash('sha256').update(caddyfile).digest('hex').slice(0, 12)}`;
  await runChecked(m.ex, swarm.configCreateFromStdin(configName), {
    stdin: caddyfile,
    what: 'creating the edge config',
  });
  const dir = clusterDir(m.manager, cluster.row.name);
  await runChecked(m.ex, mkdirp(dir, 0o700));
  const file = `${dir}/edge.yml`;
  await m.ex.put(
    file,
    renderEdgeStack({
      image: cluster.settings.proxyImage,
      httpPort: cluster.settings.httpPort,
      network: cluster.network,
      configName,
    }),
    { mode: 0o600 },
  );
  const registryImage = !cluster.settings.proxyImage.startsWith('127.0.0.1:');
  const r = await runChecked(m.ex, swarm.stackDeploy(file, EDGE_STACK, { registryImage }), {
    what: 'deploying the edge proxy',
  });
  for (const line of r.stdout.split('\n').filter(Boolean)) s.log(line);
  await m.ex.run(swarm.pruneEdgeConfigs());
  s.detail(`${routes.length} route(s), port ${cluster.settings.httpPort} on every node`);
  return { configName };
}

/** The edge proxy's service (global: one Caddy task per node). */
export const EDGE_SERVICE = `${EDGE_STACK}_caddy`;
