import * as swarm from '../../core/commands/swarm.js';
import { toInfraktError } from '../../core/errors.js';
import { runChecked } from '../../core/executor.js';
import type { ClusterDetailView } from '../../core/schemas/views/clusters.js';
import type { Ctx } from '../shared/context.js';
import { getCluster, managersOf, toClusterView } from './clusters.js';

/** `cluster show`: the record plus the nodes as the first reachable manager sees them (roles, availability, versions). */
export async function showCluster(ctx: Ctx, name: string): Promise<ClusterDetailView> {
  const cluster = await getCluster(ctx, name);
  const view = await toClusterView(ctx, cluster);
  const errors: string[] = [];
  for (const m of managersOf(cluster)) {
    try {
      const ex = await ctx.connect(m.server);
      try {
        const nodes = swarm.parseNodeList((await runChecked(ex, swarm.nodeList(), { timeoutMs: 30_000 })).stdout);
        const serverOf = new Map(
          cluster.members.flatMap((x) => (x.nodeId ? [[x.nodeId, x.server.name] as const] : [])),
        );
        return {
          ...view,
          manager: m.server.name,
          live: nodes.map((n) => ({
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
      } finally {
        await ex.close();
      }
    } catch (e) {
      errors.push(`${m.server.name}: ${toInfraktError(e).message}`);
    }
  }
  return { ...view, manager: null, live: null, error: errors.join('; ') || 'the cluster has no manager' };
}
