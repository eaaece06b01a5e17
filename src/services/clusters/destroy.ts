import * as swarm from '../../core/commands/swarm.js';
import { InfraktError, toInfraktError } from '../../core/errors.js';
import { runChecked } from '../../core/executor.js';
import type { JobContext } from '../../core/jobs.js';
import { EDGE_STACK } from '../../core/swarm/stack.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { type ClusterRecord, clusterApps, clusterLock, getCluster } from './clusters.js';
import { swarmFirewall } from './firewall.js';
import { waitStackGone } from './stack-ops.js';

export interface ClusterDestroyed {
  cluster: string;
  /** Nodes that left the swarm, and nodes that could not be reached (still holding swarm state). */
  left: string[];
  unreachable: string[];
}

/**
 * `cluster destroy`: the edge proxy and network removed, every node leaves the swarm (workers first), the
 * record goes. Refused while apps run on it: their stacks hold the users' services.
 */
export async function prepareDestroyCluster(ctx: Ctx, name: string): Promise<JobPlan<ClusterDestroyed>> {
  const cluster = await getCluster(ctx, name);
  const apps = await clusterApps(ctx, cluster.row.id);
  if (apps.length) {
    throw new InfraktError(
      'CONFLICT',
      `cluster '${name}' still runs ${apps.length} app(s): ${apps.map((a) => a.name).join(', ')}`,
      {
        hint: 'destroy those apps first (infrakt app destroy <name>)',
      },
    );
  }
  const order = [...cluster.members].reverse();
  return {
    spec: {
      kind: 'cluster.destroy',
      target: `cluster/${name}`,
      params: { cluster: name },
      locks: [clusterLock(cluster.row.id)],
      plannedSteps: ['remove edge proxy', ...order.map((m) => `leave ${m.server.name}`)],
    },
    body: (job) => runDestroy(ctx, job, cluster),
  };
}

async function runDestroy(ctx: Ctx, job: JobContext, cluster: ClusterRecord): Promise<ClusterDestroyed> {
  await ctx.store.db.updateTable('clusters').set({ status: 'destroying' }).where('id', '=', cluster.row.id).execute();
  const result: ClusterDestroyed = { cluster: cluster.row.name, left: [], unreachable: [] };
  const managers = cluster.members.filter((m) => m.role === 'manager');
  await job.step('remove edge proxy', async (s) => {
    for (const m of managers) {
      try {
        const ex = await ctx.connect(m.server, { signal: job.signal });
        try {
          await runChecked(ex, swarm.stackRemove(EDGE_STACK), { what: 'docker stack rm' });
          await waitStackGone(ex, EDGE_STACK, job.signal);
          await ex.run(swarm.networkRemove(cluster.network));
          await ex.run(swarm.pruneEdgeConfigs());
          s.detail(`via ${m.server.name}`);
          return;
        } finally {
          await ex.close();
        }
      } catch (e) {
        s.log(`${m.server.name}: ${toInfraktError(e).message}`, 'stderr');
      }
    }
    s.unchanged('no manager reachable: nothing removed there');
  });
  for (const m of [...cluster.members].reverse()) {
    await job.step(`leave ${m.server.name}`, async (s) => {
      try {
        const ex = await ctx.connect(m.server, { signal: job.signal });
        try {
          const info = swarm.parseSwarmInfo((await runChecked(ex, swarm.swarmInfo())).stdout);
          if (info.state === 'inactive') {
            result.left.push(m.server.name);
            return s.unchanged('not in a swarm');
          }
          await runChecked(ex, swarm.swarmLeave(true), { what: 'docker swarm leave' });
          result.left.push(m.server.name);
          const peers = cluster.members.filter((x) => x !== m).map((x) => x.server.host);
          s.detail(await swarmFirewall(ex, 'delete', peers));
        } finally {
          await ex.close();
        }
      } catch (e) {
        result.unreachable.push(m.server.name);
        s.log(`${m.server.name}: ${toInfraktError(e).message}`, 'stderr');
        s.detail('unreachable: run `docker swarm leave --force` there when it is back');
      }
    });
  }
  await ctx.store.db.deleteFrom('clusters').where('id', '=', cluster.row.id).execute();
  await audit(ctx, 'cluster.destroy', `cluster/${cluster.row.name}`, { ...result });
  return result;
}
