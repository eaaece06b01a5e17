import { toInfraktError } from '../../core/errors.js';
import type { ClusterDetailView } from '../../core/schemas/views/clusters.js';
import type { Ctx } from '../shared/context.js';
import { getCluster, toClusterView } from './clusters.js';
import { READ_ELECTION_WAIT_MS, reachManager } from './reach-manager.js';

/**
 * `cluster show`: the record plus the nodes as the first manager that can act sees them (roles with leader and
 * reachable/unreachable managers, status, availability, versions), and the managers passed over with why.
 */
export async function showCluster(ctx: Ctx, name: string): Promise<ClusterDetailView> {
  const cluster = await getCluster(ctx, name);
  const view = await toClusterView(ctx, cluster);
  try {
    const r = await reachManager(ctx, cluster, { electionWaitMs: READ_ELECTION_WAIT_MS });
    await r.ex.close().catch(() => undefined);
    const serverOf = new Map(cluster.members.flatMap((x) => (x.nodeId ? [[x.nodeId, x.server.name] as const] : [])));
    return {
      ...view,
      manager: r.manager.server.name,
      passedOver: r.passedOver,
      live: r.nodes.map((n) => ({
        id: n.id,
        hostname: n.hostname,
        server: serverOf.get(n.id) ?? null,
        status: n.status,
        availability: n.availability,
        managerStatus: n.managerStatus,
        engineVersion: n.engineVersion,
      })),
      error: null,
    };
  } catch (e) {
    const err = toInfraktError(e);
    return {
      ...view,
      manager: null,
      passedOver: [],
      live: null,
      error: err.hint ? `${err.message} (${err.hint})` : err.message,
    };
  }
}
