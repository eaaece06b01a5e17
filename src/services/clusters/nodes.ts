import * as swarm from '../../core/commands/swarm.js';
import { conflict, InfraktError } from '../../core/errors.js';
import { runChecked } from '../../core/executor.js';
import type { JobContext } from '../../core/jobs.js';
import type { ClusterView } from '../../core/schemas/views/clusters.js';
import { Secret } from '../../core/secret.js';
import { getServerRow } from '../servers/servers.js';
import { audit } from '../shared/audit.js';
import { type Ctx, nowIso } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { type ClusterRecord, clusterLock, clusterOfServer, getCluster, managersOf, toClusterView } from './clusters.js';
import { advertiseAddr, joinNode, recordNodeId } from './create.js';
import { swarmFirewall } from './firewall.js';
import { withManager } from './manager-session.js';

/**
 * `cluster add-node C SERVER`: the worker token read from a reachable manager into memory (a Secret) and
 * handed to the new node on stdin; the edge proxy (a global service) follows onto it by itself.
 */
export async function prepareAddNode(ctx: Ctx, name: string, serverName: string): Promise<JobPlan<ClusterView>> {
  const cluster = await getCluster(ctx, name);
  if (cluster.row.status !== 'active') throw new InfraktError('STATE', `cluster '${name}' is ${cluster.row.status}`);
  const server = await getServerRow(ctx, serverName);
  advertiseAddr(server);
  const other = await clusterOfServer(ctx, server.id);
  if (other) throw conflict(`server '${serverName}' is already a node of cluster '${other}'`);
  return {
    spec: {
      kind: 'cluster.add-node',
      target: `cluster/${name}`,
      params: { cluster: name, server: serverName },
      locks: [clusterLock(cluster.row.id)],
      plannedSteps: ['connect to a manager', 'read join token', 'open swarm ports to members', `join ${serverName}`],
    },
    body: (job) =>
      withManager(ctx, job, cluster, async (m) => {
        const token = await job.step('read join token', async (s) => {
          const t = new Secret((await runChecked(m.ex, swarm.joinToken('worker'))).stdout.trim());
          job.addSecrets(t);
          s.detail('kept in memory, sent on stdin');
          return t;
        });
        await job.step('open swarm ports to members', async (s) => {
          const others = cluster.members.map((x) => x.server);
          const done: string[] = [];
          for (const member of others) {
            const ex = await ctx.connect(member, { signal: job.signal });
            try {
              done.push(`${member.name} ${await swarmFirewall(ex, 'allow', [advertiseAddr(server)])}`);
            } finally {
              await ex.close();
            }
          }
          const ex = await ctx.connect(server, { signal: job.signal });
          try {
            done.push(`${server.name} ${await swarmFirewall(ex, 'allow', others.map(advertiseAddr))}`);
          } finally {
            await ex.close();
          }
          s.detail(done.join(', '));
        });
        await job.step(`join ${serverName}`, async (s) => {
          const ex = await ctx.connect(server, { signal: job.signal });
          try {
            const info = swarm.parseSwarmInfo((await runChecked(ex, swarm.swarmInfo())).stdout);
            if (info.state !== 'inactive') {
              throw new InfraktError('CONFLICT', `server '${serverName}' is already part of a swarm (${info.state})`);
            }
            await joinNode(ex, server, m.manager.server, token);
            await ctx.store.db
              .insertInto('cluster_nodes')
              .values({
                cluster_id: cluster.row.id,
                server_id: server.id,
                role: 'worker',
                node_id: null,
                created_at: nowIso(ctx),
              })
              .execute();
            await recordNodeId(ctx, cluster.row.id, server, ex);
            s.detail(`Docker ${info.engineVersion}, joined as worker`);
          } finally {
            await ex.close();
          }
        });
        await audit(ctx, 'cluster.add-node', `cluster/${name}`, { server: serverName });
        return toClusterView(ctx, await getCluster(ctx, name));
      }),
  };
}

export interface NodeRemoved {
  cluster: string;
  server: string;
  /** Tasks Swarm moved away while the node drained. */
  drainedTasks: number;
}

/**
 * `cluster remove-node C SERVER`: drained first (Swarm reschedules its replicas on the other nodes and infrakt
 * waits for that), then the node leaves the swarm and is removed from the node list. A manager is refused:
 * the cluster's managers are where infrakt talks to it.
 */
export async function prepareRemoveNode(ctx: Ctx, name: string, serverName: string): Promise<JobPlan<NodeRemoved>> {
  const cluster = await getCluster(ctx, name);
  const member = cluster.members.find((x) => x.server.name === serverName);
  if (!member) throw new InfraktError('NOT_FOUND', `server '${serverName}' is not a node of cluster '${name}'`);
  if (member.role === 'manager') {
    throw new InfraktError('UNSUPPORTED', `'${serverName}' is a manager of '${name}': only workers are removed`, {
      hint:
        managersOf(cluster).length === 1 ? `destroy the cluster instead: infrakt cluster destroy ${name}` : undefined,
    });
  }
  if (!member.nodeId)
    throw new InfraktError('STATE', `'${serverName}' never finished joining; destroy and recreate the cluster`);
  return {
    spec: {
      kind: 'cluster.remove-node',
      target: `cluster/${name}`,
      params: { cluster: name, server: serverName },
      locks: [clusterLock(cluster.row.id)],
      plannedSteps: [
        'connect to a manager',
        `drain ${serverName}`,
        `leave ${serverName}`,
        'remove from node list',
        'close swarm ports',
      ],
    },
    body: (job) => runRemoveNode(ctx, job, cluster, member.server.name, member.nodeId!),
  };
}

async function runRemoveNode(
  ctx: Ctx,
  job: JobContext,
  cluster: ClusterRecord,
  serverName: string,
  nodeId: string,
): Promise<NodeRemoved> {
  const server = await getServerRow(ctx, serverName);
  return withManager(ctx, job, cluster, async (m) => {
    const drained = await job.step(`drain ${serverName}`, async (s) => {
      await runChecked(m.ex, swarm.nodeAvailability(nodeId, 'drain'), {
        what: 'docker node update --availability drain',
      });
      const deadline = Date.now() + 5 * 60_000;
      let first: number | null = null;
      for (;;) {
        const r = await runChecked(m.ex, swarm.nodeTasks(nodeId), { signal: job.signal });
        const left = r.stdout.split('\n').filter((l) => l.trim()).length;
        first ??= left;
        if (left === 0) break;
        if (Date.now() > deadline)
          throw new InfraktError('TIMEOUT', `${serverName} still runs ${left} task(s) after 5 min of draining`);
        await new Promise((done) => setTimeout(done, 1000));
      }
      s.detail(`${first} task(s) moved to other nodes`);
      return first ?? 0;
    });
    await job.step(`leave ${serverName}`, async (s) => {
      try {
        const ex = await ctx.connect(server, { signal: job.signal });
        try {
          await runChecked(ex, swarm.swarmLeave(false), { what: 'docker swarm leave' });
        } finally {
          await ex.close();
        }
      } catch (e) {
        // An unreachable node is removed from the swarm all the same (node rm --force below).
        s.log(`${serverName}: ${(e as Error).message}`, 'stderr');
        s.detail('unreachable: removed from the node list only');
      }
    });
    await job.step('remove from node list', async () => {
      await runChecked(m.ex, swarm.nodeRemove(nodeId, true), { what: 'docker node rm' });
      await ctx.store.db
        .deleteFrom('cluster_nodes')
        .where('cluster_id', '=', cluster.row.id)
        .where('server_id', '=', server.id)
        .execute();
    });
    await job.step('close swarm ports', async (s) => {
      const done: string[] = [];
      for (const member of cluster.members.filter((x) => x.server.id !== server.id)) {
        try {
          const ex = await ctx.connect(member.server, { signal: job.signal });
          try {
            done.push(`${member.server.name} ${await swarmFirewall(ex, 'delete', [advertiseAddr(server)])}`);
          } finally {
            await ex.close();
          }
        } catch (e) {
          done.push(`${member.server.name} unreachable`);
          s.log(`${member.server.name}: ${(e as Error).message}`, 'stderr');
        }
      }
      s.detail(done.join(', '));
    });
    await audit(ctx, 'cluster.remove-node', `cluster/${cluster.row.name}`, { server: serverName });
    return { cluster: cluster.row.name, server: serverName, drainedTasks: drained };
  });
}
