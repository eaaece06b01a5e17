import { isIP } from 'node:net';
import type { ServerRow } from '../../adapters/store/schema.js';
import * as swarm from '../../core/commands/swarm.js';
import { conflict, InfraktError } from '../../core/errors.js';
import { type Executor, runChecked } from '../../core/executor.js';
import type { JobContext } from '../../core/jobs.js';
import { type ClusterCreateInput, clusterCreateSchema, clusterSettingsSchema } from '../../core/schemas/cluster.js';
import { parseInput } from '../../core/schemas/parse.js';
import type { ClusterView } from '../../core/schemas/views/clusters.js';
import { Secret } from '../../core/secret.js';
import { encryptionRefusal } from '../../core/swarm/encryption-check.js';
import { getServerRow } from '../servers/servers.js';
import { audit } from '../shared/audit.js';
import { type Ctx, nowIso } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { clusterLock, clusterOfServer, getClusterById, toClusterView } from './clusters.js';
import { swarmFirewall } from './firewall.js';
import { deployEdge } from './manager-session.js';
import { checkNode } from './node-check.js';

/** The address a node advertises to the others: the server's host, which must be an IP address. */
export function advertiseAddr(server: ServerRow): string {
  if (server.host === 'local' || !isIP(server.host)) {
    throw new InfraktError('VALIDATION', `server '${server.name}' has host '${server.host}', not an IP address`, {
      hint: 'Swarm nodes advertise an IP address: register the server by its (private) IP address',
    });
  }
  return server.host;
}

/** Checks every member locally before anything runs: registered, not in a cluster, reachable by IP. */
async function memberRows(ctx: Ctx, names: readonly string[]): Promise<ServerRow[]> {
  const seen = new Set<string>();
  const rows: ServerRow[] = [];
  for (const name of names) {
    if (seen.has(name)) throw new InfraktError('VALIDATION', `server '${name}' is listed twice`);
    seen.add(name);
    const row = await getServerRow(ctx, name);
    advertiseAddr(row);
    const other = await clusterOfServer(ctx, row.id);
    if (other) throw conflict(`server '${name}' is already a node of cluster '${other}'`);
    rows.push(row);
  }
  return rows;
}

/**
 * `cluster create NAME --manager S1 [--managers S2,S3] [--workers S4,S5]`: `docker swarm init` on S1, the join
 * tokens read over SSH into memory (Secrets, scrubbed from the job log) and handed to each joining node on stdin
 * through the Engine API (the manager token to the other managers, the worker token to the workers), the
 * cluster's overlay network, the edge proxy on every node. A failed create leaves no swarm behind: every node
 * that joined leaves again and the record is removed.
 */
export async function prepareCreateCluster(ctx: Ctx, input: ClusterCreateInput): Promise<JobPlan<ClusterView>> {
  const data = parseInput(clusterCreateSchema, input, 'cluster');
  const settings = clusterSettingsSchema.parse(data.settings ?? {});
  const taken = await ctx.store.db.selectFrom('clusters').select('id').where('name', '=', data.name).executeTakeFirst();
  if (taken) throw conflict(`a cluster named '${data.name}' already exists`, 'choose another name');
  const rows = await memberRows(ctx, [data.manager, ...data.managers, ...data.workers]);
  const manager = rows[0]!;
  const managers = rows.slice(1, 1 + data.managers.length);
  const workers = rows.slice(1 + data.managers.length);
  const now = nowIso(ctx);
  const cluster = await ctx.store.db
    .insertInto('clusters')
    .values({
      name: data.name,
      status: 'creating',
      settings_json: JSON.stringify(settings),
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await ctx.store.db
    .insertInto('cluster_nodes')
    .values(
      rows.map((s, i) => ({
        cluster_id: cluster.id,
        server_id: s.id,
        role: i <= managers.length ? ('manager' as const) : ('worker' as const),
        node_id: null,
        created_at: now,
      })),
    )
    .execute();
  const steps = [
    'connect',
    'check nodes',
    `init swarm on ${manager.name}`,
    ...managers.map((m) => `join ${m.name} as manager`),
    ...workers.map((w) => `join ${w.name}`),
    'open swarm ports to members',
    'create network',
    'deploy edge proxy',
  ];
  return {
    spec: {
      kind: 'cluster.create',
      target: `cluster/${data.name}`,
      serverId: manager.id,
      params: {
        cluster: data.name,
        manager: manager.name,
        managers: managers.map((m) => m.name),
        workers: workers.map((w) => w.name),
      },
      locks: [clusterLock(cluster.id)],
      plannedSteps: steps,
    },
    body: (job) => runCreate(ctx, job, cluster.id, manager, managers, workers, settings.encrypted),
  };
}

async function runCreate(
  ctx: Ctx,
  job: JobContext,
  clusterId: number,
  manager: ServerRow,
  managers: ServerRow[],
  workers: ServerRow[],
  encrypted: boolean,
): Promise<ClusterView> {
  const all = [manager, ...managers, ...workers];
  const exs = new Map<string, Executor>();
  const joined: ServerRow[] = [];
  try {
    await job.step('connect', async (s) => {
      for (const server of all) exs.set(server.name, await ctx.connect(server, { signal: job.signal }));
      s.detail(`${exs.size} node(s)`);
    });
    const exOf = (server: ServerRow) => exs.get(server.name)!;
    await job.step('check nodes', async (s) => {
      // Every node at once, one round trip each; nothing changes on any node until all of them passed.
      const checks = await Promise.all(
        all.map(async (server) => ({
          server,
          ...(await checkNode(exOf(server), server.user, { encrypted, signal: job.signal })),
        })),
      );
      for (const { server, info, esp } of checks) {
        const enc = esp ? `, encrypted overlay ${esp.ok ? 'possible' : `not possible: ${esp.reason}`}` : '';
        s.log(`${server.name}: Docker ${info.engineVersion}, swarm ${info.state}${enc}`);
      }
      for (const { server, info } of checks) {
        if (info.state !== 'inactive') {
          throw new InfraktError('CONFLICT', `server '${server.name}' is already part of a swarm (${info.state})`, {
            hint: `infrakt manages swarms it created: make it leave first (docker swarm leave) or pick another server`,
          });
        }
      }
      if (encrypted) {
        const refusal = encryptionRefusal(checks.map((c) => ({ server: c.server.name, result: c.esp! })));
        if (refusal) throw refusal;
        s.detail(`${all.length} node(s) free; IPsec ESP with AES-GCM on every node`);
      }
    });
    const token = await job.step(`init swarm on ${manager.name}`, async (s) => {
      await runChecked(exOf(manager), swarm.swarmInit(advertiseAddr(manager)), { what: 'docker swarm init' });
      joined.push(manager);
      const readToken = async (role: 'worker' | 'manager') => {
        const t = new Secret((await runChecked(exOf(manager), swarm.joinToken(role))).stdout.trim());
        // Before anything could print it: every later log line and error has the token scrubbed.
        job.addSecrets(t);
        return t;
      };
      const tokens = {
        worker: await readToken('worker'),
        manager: managers.length ? await readToken('manager') : null,
      };
      await recordNodeId(ctx, clusterId, manager, exOf(manager));
      s.detail(`manager ready; ${managers.length ? 'join tokens' : 'worker token'} read over SSH, kept in memory`);
      return tokens;
    });
    // Managers first: a worker then already joins a swarm that survives the loss of one manager.
    for (const other of managers) {
      await job.step(`join ${other.name} as manager`, async (s) => {
        await joinNode(exOf(other), other, manager, token.manager!);
        joined.push(other);
        await recordNodeId(ctx, clusterId, other, exOf(other));
        s.detail('joined as manager (token sent on stdin)');
      });
    }
    for (const worker of workers) {
      await job.step(`join ${worker.name}`, async (s) => {
        await joinNode(exOf(worker), worker, manager, token.worker);
        joined.push(worker);
        await recordNodeId(ctx, clusterId, worker, exOf(worker));
        s.detail('joined as worker (token sent on stdin)');
      });
    }
    await job.step('open swarm ports to members', async (s) => {
      const done: string[] = [];
      for (const server of all) {
        const peers = all.filter((x) => x !== server).map(advertiseAddr);
        done.push(`${server.name} ${await swarmFirewall(exOf(server), 'allow', peers)}`);
      }
      s.detail(done.join(', '));
    });
    const cluster = await getClusterById(ctx, clusterId);
    await job.step('create network', async (s) => {
      const ex = exOf(manager);
      if ((await ex.run(swarm.networkExists(cluster.network))).exitCode === 0) return s.unchanged('exists');
      const enc = await ex.run(swarm.overlayCreate(cluster.network, cluster.settings.encrypted));
      if (enc.exitCode !== 0)
        throw new InfraktError('COMMAND_FAILED', `creating the overlay network failed: ${enc.stderr.trim()}`);
      s.detail(`${cluster.network} (overlay${cluster.settings.encrypted ? ', encrypted' : ''})`);
    });
    // The session is the init manager's: the edge stack file goes under that server's root.
    const first = cluster.members.find((m) => m.server.id === manager.id)!;
    await job.step('deploy edge proxy', (s) => deployEdge(ctx, { ex: exOf(manager), manager: first }, cluster, s));
    await ctx.store.db
      .updateTable('clusters')
      .set({ status: 'active', updated_at: nowIso(ctx) })
      .where('id', '=', clusterId)
      .execute();
    await audit(ctx, 'cluster.create', `cluster/${cluster.row.name}`, { nodes: cluster.members.length });
    return toClusterView(ctx, await getClusterById(ctx, clusterId));
  } catch (e) {
    // Undo: nodes that joined leave (workers first), then the record goes; the error is the original one.
    for (const server of joined.reverse()) {
      const ex = exs.get(server.name);
      if (ex) await ex.run(swarm.swarmLeave(true)).catch(() => undefined);
    }
    await ctx.store.db.deleteFrom('clusters').where('id', '=', clusterId).execute();
    throw e;
  } finally {
    for (const ex of exs.values()) await ex.close().catch(() => undefined);
  }
}

/** Joins a node with the token on stdin (never in argv): the token's role (worker or manager) is what it becomes. */
export async function joinNode(ex: Executor, node: ServerRow, manager: ServerRow, token: Secret): Promise<void> {
  const body = new Secret(
    swarm.joinRequestBody({
      advertiseAddr: advertiseAddr(node),
      managerAddrs: [advertiseAddr(manager)],
      token: token.reveal(),
    }),
  );
  const r = await ex.run(swarm.swarmJoinFromStdin(), { stdin: body, secrets: [token, body] });
  if (r.exitCode !== 0) {
    const why = r.exitCode === 127 ? 'curl is not installed on the node' : (r.stdout || r.stderr).trim().slice(0, 300);
    throw new InfraktError('COMMAND_FAILED', `${node.name} could not join the swarm: ${why}`, {
      hint: 'the nodes must reach each other on 2377/tcp, 7946/tcp+udp and 4789/udp',
    });
  }
}

export async function recordNodeId(ctx: Ctx, clusterId: number, server: ServerRow, ex: Executor): Promise<string> {
  const info = swarm.parseSwarmInfo((await runChecked(ex, swarm.swarmInfo())).stdout);
  await ctx.store.db
    .updateTable('cluster_nodes')
    .set({ node_id: info.nodeId })
    .where('cluster_id', '=', clusterId)
    .where('server_id', '=', server.id)
    .execute();
  return info.nodeId;
}
