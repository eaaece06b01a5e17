import type { ServerRow } from '../../adapters/store/schema.js';
import * as swarm from '../../core/commands/swarm.js';
import { conflict, InfraktError } from '../../core/errors.js';
import { type Executor, runChecked } from '../../core/executor.js';
import type { JobContext } from '../../core/jobs.js';
import type { ClusterView } from '../../core/schemas/views/clusters.js';
import { Secret } from '../../core/secret.js';
import { encryptionRefusal } from '../../core/swarm/encryption-check.js';
import { getServerRow } from '../servers/servers.js';
import { audit } from '../shared/audit.js';
import { type Ctx, nowIso } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { appsToRehome, rehomeApps } from './cluster-app-home.js';
import {
  type ClusterMember,
  type ClusterRecord,
  clusterLock,
  clusterOfServer,
  getCluster,
  managersOf,
  toClusterView,
} from './clusters.js';
import { advertiseAddr, joinNode, recordNodeId } from './create.js';
import { swarmFirewall } from './firewall.js';
import { type ManagerSession, withManager } from './manager-session.js';
import { checkNode } from './node-check.js';

/**
 * `cluster add-node C SERVER [--manager]`: the worker (or manager) token read from the first manager that can act
 * into memory (a Secret) and handed to the new node on stdin; the edge proxy (a global service) follows onto it.
 */
export async function prepareAddNode(
  ctx: Ctx,
  name: string,
  serverName: string,
  opts: { manager?: boolean | undefined } = {},
): Promise<JobPlan<ClusterView>> {
  const role = opts.manager ? ('manager' as const) : ('worker' as const);
  const joinStep = opts.manager ? `join ${serverName} as manager` : `join ${serverName}`;
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
      params: { cluster: name, server: serverName, role },
      locks: [clusterLock(cluster.row.id)],
      plannedSteps: [
        'connect to a manager',
        ...(cluster.settings.encrypted ? [`check ${serverName} for the encrypted overlay`] : []),
        'read join token',
        'open swarm ports to members',
        joinStep,
      ],
    },
    body: (job) =>
      withManager(ctx, job, cluster, async (m) => {
        // The cluster's overlay is encrypted: a node whose kernel lacks ESP AES-GCM would join and never carry it.
        if (cluster.settings.encrypted) {
          await job.step(`check ${serverName} for the encrypted overlay`, async (s) => {
            const ex = await ctx.connect(server, { signal: job.signal });
            try {
              const { esp } = await checkNode(ex, server.user, { encrypted: true, signal: job.signal });
              const refusal = encryptionRefusal(
                [{ server: serverName, result: esp! }],
                `or add a server that can: the overlay of '${name}' is encrypted, so every node must`,
              );
              if (refusal) throw refusal;
              s.detail('IPsec ESP with AES-GCM available');
            } finally {
              await ex.close();
            }
          });
        }
        const token = await job.step('read join token', async (s) => {
          const t = new Secret((await runChecked(m.ex, swarm.joinToken(role))).stdout.trim());
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
        await job.step(joinStep, async (s) => {
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
                role,
                node_id: null,
                created_at: nowIso(ctx),
              })
              .execute();
            await recordNodeId(ctx, cluster.row.id, server, ex);
            const managers = managersOf(cluster).length + (role === 'manager' ? 1 : 0);
            s.detail(
              `Docker ${info.engineVersion}, joined as ${role}` +
                // An even count survives no more losses than one fewer: say so while growing 3 -> 5.
                (role === 'manager' && managers % 2 === 0
                  ? ` (${managers} managers survive no more losses than ${managers - 1}: add one more)`
                  : ''),
            );
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
 * `cluster remove-node C SERVER`: a manager is demoted first, through another manager (Swarm refuses when the
 * managers left would lose their majority); then the node is drained (Swarm reschedules its replicas on the other
 * nodes and infrakt waits for that), leaves the swarm and is removed from the node list. The last manager is
 * refused: that is `cluster destroy`.
 */
export async function prepareRemoveNode(ctx: Ctx, name: string, serverName: string): Promise<JobPlan<NodeRemoved>> {
  const cluster = await getCluster(ctx, name);
  const member = cluster.members.find((x) => x.server.name === serverName);
  if (!member) throw new InfraktError('NOT_FOUND', `server '${serverName}' is not a node of cluster '${name}'`);
  const isManager = member.role === 'manager';
  if (isManager && managersOf(cluster).length === 1) {
    throw new InfraktError('UNSUPPORTED', `'${serverName}' is the only manager of '${name}'`, {
      hint: `destroy the cluster instead: infrakt cluster destroy ${name}`,
    });
  }
  if (!member.nodeId)
    throw new InfraktError('STATE', `'${serverName}' never finished joining; destroy and recreate the cluster`);
  // The first other manager becomes the home of the cluster apps recorded on a manager that leaves.
  const home = managersOf(cluster).find((m) => m.server.id !== member.server.id);
  const moving = isManager && home ? await appsToRehome(ctx, cluster.row.id, member.server, home.server) : [];
  return {
    spec: {
      kind: 'cluster.remove-node',
      target: `cluster/${name}`,
      params: { cluster: name, server: serverName },
      locks: [clusterLock(cluster.row.id)],
      plannedSteps: [
        'connect to a manager',
        ...(isManager ? [`demote ${serverName}`] : []),
        `drain ${serverName}`,
        `leave ${serverName}`,
        'remove from node list',
        'close swarm ports',
      ],
    },
    body: (job) =>
      runRemoveNode(
        ctx,
        job,
        cluster,
        member,
        member.nodeId!,
        home && moving.length ? { ids: moving, to: home.server } : null,
      ),
  };
}

async function runRemoveNode(
  ctx: Ctx,
  job: JobContext,
  cluster: ClusterRecord,
  member: ClusterMember,
  nodeId: string,
  rehome: { ids: number[]; to: ServerRow } | null,
): Promise<NodeRemoved> {
  const serverName = member.server.name;
  const server = await getServerRow(ctx, serverName);
  const body = async (m: ManagerSession) => {
    if (member.role === 'manager') {
      await job.step(`demote ${serverName}`, async (s) => {
        await runChecked(m.ex, swarm.nodeDemote(nodeId), { what: 'docker node demote' });
        const left = managersOf(cluster).length - 1;
        s.detail(
          `${left} manager(s) left${left % 2 === 0 ? ': an even count survives no more losses than one fewer' : ''}`,
        );
      });
    }
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
          // A demoted manager learns it from the swarm a moment later; until then it refuses a plain leave.
          if (member.role === 'manager') await waitNotManager(ex, serverName, job.signal);
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
    await job.step('remove from node list', async (s) => {
      await runChecked(m.ex, swarm.nodeRemove(nodeId, true), { what: 'docker node rm' });
      await ctx.store.db
        .deleteFrom('cluster_nodes')
        .where('cluster_id', '=', cluster.row.id)
        .where('server_id', '=', server.id)
        .execute();
      if (rehome) {
        await rehomeApps(ctx, rehome.ids, rehome.to);
        s.detail(`${rehome.ids.length} cluster app(s) now recorded on ${rehome.to.name}`);
      }
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
  };
  // A manager being removed is not the one to act through: it stops being a manager half-way.
  return withManager(ctx, job, cluster, body, { excludeServerId: member.server.id });
}

async function waitNotManager(ex: Executor, serverName: string, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (swarm.parseSwarmInfo((await runChecked(ex, swarm.swarmInfo(), { signal })).stdout).isManager) {
    if (Date.now() > deadline)
      throw new InfraktError('TIMEOUT', `${serverName} is still a manager 60 s after its demotion`);
    await new Promise((done) => setTimeout(done, 500));
  }
}
