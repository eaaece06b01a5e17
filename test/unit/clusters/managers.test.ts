// Clusters with several managers, over recording executors (one per server) and a real SQLite state: the probe
// that says whether a manager can act, the choice of the first one that can (passing over a down host, a stopped
// engine, a swarm without a leader), and a create that joins managers with the manager token on stdin only.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJobRunner, type JobRunner } from '../../../src/adapters/jobs/runner.js';
import type { ServerRow } from '../../../src/adapters/store/schema.js';
import { render } from '../../../src/core/cmd/index.js';
import * as swarm from '../../../src/core/commands/swarm.js';
import { InfraktError } from '../../../src/core/errors.js';
import type { RunOptions, RunResult } from '../../../src/core/executor.js';
import { isSecret } from '../../../src/core/secret.js';
import { leaderOf, managerProbe, parseManagerProbe } from '../../../src/core/swarm/manager-probe.js';
import { createApp } from '../../../src/services/apps/apps.js';
import { getCluster } from '../../../src/services/clusters/clusters.js';
import { prepareCreateCluster } from '../../../src/services/clusters/create.js';
import { prepareAddNode, prepareRemoveNode } from '../../../src/services/clusters/nodes.js';
import { reachManager } from '../../../src/services/clusters/reach-manager.js';
import { showCluster } from '../../../src/services/clusters/show.js';
import { registerServer } from '../../../src/services/servers/servers.js';
import type { Ctx } from '../../../src/services/shared/context.js';
import { runPlan } from '../../../src/services/shared/job-plan.js';
import { RecordingExecutor } from '../../harness/recording-executor.js';
import { openTestState, type TestState } from '../../helpers/state.js';

/** A recording executor that also keeps what a secret stdin carried (what would reach the server). */
class Node extends RecordingExecutor {
  readonly secretStdins: string[] = [];
  override async run(cmd: Parameters<RecordingExecutor['run']>[0], opts: RunOptions = {}): Promise<RunResult> {
    if (opts.stdin !== undefined && isSecret(opts.stdin)) this.secretStdins.push(opts.stdin.reveal());
    return super.run(cmd, opts);
  }
}

const info = (o: { state: string; manager: boolean; id?: string }) =>
  JSON.stringify({
    swarm: {
      NodeID: o.id ?? '',
      LocalNodeState: o.state,
      ControlAvailable: o.manager,
      Cluster: o.state === 'active' ? { ID: 'c1' } : null,
    },
    version: '20.10.24',
  });
const nodeLine = (host: string, status: string, managerStatus: string) =>
  JSON.stringify({
    ID: `id-${host}`,
    Hostname: host,
    Status: status,
    Availability: 'Active',
    ManagerStatus: managerStatus,
    EngineVersion: '20.10.24',
    Self: false,
  });
const NO_LEADER =
  "Error response from daemon: rpc error: code = Unknown desc = The swarm does not have a leader. It's possible that too few managers are online.";
const ENGINE_DOWN = 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?';
const PROBE = /docker info .*&& docker node ls/;

describe('manager probe', () => {
  it('is docker info, then docker node ls only when info answered: one round trip', () => {
    expect(render(managerProbe())).toBe(
      `docker info --format '{"swarm":{{json .Swarm}},"version":{{json .ServerVersion}}}' && docker node ls --format '{{json .}}'`,
    );
    expect(render(swarm.joinToken('manager'))).toBe('docker swarm join-token --quiet manager');
  });

  it('tells a manager that can act from a stopped engine, a worker, a left node and a swarm without a leader', () => {
    const ready = parseManagerProbe({
      exitCode: 0,
      stdout: `${info({ state: 'active', manager: true, id: 'n2' })}\n${nodeLine('node1', 'Down', 'Unreachable')}\n${nodeLine('node2', 'Ready', 'Leader')}\n`,
      stderr: '',
    });
    expect(ready.kind).toBe('ready');
    if (ready.kind !== 'ready') return;
    expect(ready.nodes.map((n) => [n.hostname, n.status, n.managerStatus])).toEqual([
      ['node1', 'Down', 'Unreachable'],
      ['node2', 'Ready', 'Leader'],
    ]);
    expect(leaderOf(ready.nodes)).toBe('node2');
    expect(parseManagerProbe({ exitCode: 1, stdout: '', stderr: `${ENGINE_DOWN}\n` })).toEqual({
      kind: 'engine-down',
      reason: ENGINE_DOWN,
    });
    // The client prints the template with empty server fields when the daemon is down (seen on Docker 20.10).
    expect(
      parseManagerProbe({
        exitCode: 1,
        stdout: '{"swarm":{"NodeID":"","LocalNodeState":"","ControlAvailable":false,"Cluster":null},"version":""}\n',
        stderr: `${ENGINE_DOWN}\n`,
      }),
    ).toEqual({ kind: 'engine-down', reason: ENGINE_DOWN });
    expect(
      parseManagerProbe({ exitCode: 1, stdout: `${info({ state: 'active', manager: false })}\n`, stderr: 'x' }),
    ).toMatchObject({ kind: 'not-manager', reason: 'a worker, not a manager' });
    expect(
      parseManagerProbe({ exitCode: 1, stdout: `${info({ state: 'inactive', manager: false })}\n`, stderr: '' }),
    ).toMatchObject({ kind: 'not-manager', reason: 'not a swarm manager (swarm inactive)' });
    expect(
      parseManagerProbe({ exitCode: 1, stdout: `${info({ state: 'active', manager: true })}\n`, stderr: NO_LEADER }),
    ).toMatchObject({ kind: 'no-leader', reason: NO_LEADER });
    expect(leaderOf([])).toBeNull();
  });
});

describe('clusters with several managers', () => {
  let state: TestState;
  let jobs: JobRunner;
  let nodes: Map<string, Node>;
  /** Servers whose SSH connection is refused. */
  let down: Set<string>;
  let connects: string[];
  let ctx: Ctx;

  beforeEach(async () => {
    state = openTestState();
    jobs = createJobRunner({ store: state.ctx.store, clock: { now: () => new Date() }, actor: 'tester' });
    nodes = new Map();
    down = new Set();
    connects = [];
    const connect = async (server: ServerRow) => {
      connects.push(server.name);
      if (down.has(server.name)) {
        throw new InfraktError('SSH_UNREACHABLE', `cannot reach ${server.host}:22 (connect ETIMEDOUT)`);
      }
      const ex = nodes.get(server.name);
      if (!ex) throw new Error(`no executor for ${server.name}`);
      return ex;
    };
    ctx = { ...state.ctx, jobs, connect };
    for (const [i, name] of ['m1', 'm2', 'm3', 'w1'].entries()) {
      await registerServer(ctx, { name, host: `10.9.0.${i + 1}`, root: '/srv/ikt' });
      nodes.set(name, new Node());
    }
  });

  afterEach(async () => {
    jobs.close();
    await state.close();
  });

  /** Records the cluster as `cluster create` does (the job itself is tested below). */
  async function recordCluster() {
    await prepareCreateCluster(ctx, { name: 'prod', manager: 'm1', managers: ['m2', 'm3'], workers: ['w1'] });
    await ctx.store.db.updateTable('clusters').set({ status: 'active' }).execute();
    return getCluster(ctx, 'prod');
  }
  const ready = (self: string) => ({
    stdout: [
      info({ state: 'active', manager: true, id: `id-${self}` }),
      nodeLine('m1', 'Down', 'Unreachable'),
      nodeLine('m2', 'Ready', 'Leader'),
      nodeLine('m3', 'Ready', 'Reachable'),
      nodeLine('w1', 'Ready', ''),
    ].join('\n'),
  });

  it('refuses an even number of managers and a server listed as manager and worker, recording nothing', async () => {
    await expect(prepareCreateCluster(ctx, { name: 'two', manager: 'm1', managers: ['m2'] })).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringContaining('odd number of managers'),
    });
    await expect(
      prepareCreateCluster(ctx, { name: 'dup', manager: 'm1', managers: ['m2', 'm3'], workers: ['m3'] }),
    ).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('listed twice') });
    expect(await ctx.store.db.selectFrom('clusters').selectAll().execute()).toEqual([]);
  });

  it('passes over a host that is down and a stopped engine; the first manager that can act answers', async () => {
    const cluster = await recordCluster();
    down.add('m1');
    nodes.get('m2')!.on(PROBE, { exitCode: 1, stderr: ENGINE_DOWN });
    nodes.get('m3')!.on(PROBE, ready('m3'));
    const notes: string[] = [];
    const r = await reachManager(ctx, cluster, { onNote: (l) => notes.push(l), retryMs: 1 });
    expect(r.manager.server.name).toBe('m3');
    expect(r.passedOver).toEqual([
      { server: 'm1', error: 'cannot reach 10.9.0.1:22 (connect ETIMEDOUT)' },
      { server: 'm2', error: `Docker engine not answering (${ENGINE_DOWN})` },
    ]);
    expect(leaderOf(r.nodes)).toBe('m2');
    // The worker is never asked; the passed-over connection is closed, the chosen one left open for the caller.
    expect(connects).toEqual(['m1', 'm2', 'm3']);
    expect(nodes.get('m2')!.closed).toBe(true);
    expect(nodes.get('m3')!.closed).toBe(false);
    expect(notes).toHaveLength(2);
  });

  it('asks again while the swarm elects a leader, then acts through the manager that answers', async () => {
    const cluster = await recordCluster();
    nodes.get('m1')!.on(PROBE, { exitCode: 1, stderr: ENGINE_DOWN });
    // m2 answers without a leader twice (the election), then with one.
    nodes
      .get('m2')!
      .on(PROBE, { exitCode: 1, stdout: info({ state: 'active', manager: true }), stderr: NO_LEADER }, 2)
      .on(PROBE, ready('m2'));
    nodes.get('m3')!.on(PROBE, { exitCode: 1, stdout: info({ state: 'active', manager: true }), stderr: NO_LEADER });
    const notes: string[] = [];
    const r = await reachManager(ctx, cluster, { onNote: (l) => notes.push(l), retryMs: 1, electionWaitMs: 10_000 });
    expect(r.manager.server.name).toBe('m2');
    expect(notes.filter((n) => n.startsWith('no leader yet'))).toHaveLength(2);
    // The stopped engine is not asked again; the leaderless managers are.
    expect(nodes.get('m1')!.commands.filter((c) => PROBE.test(c))).toHaveLength(1);
    expect(nodes.get('m2')!.commands.filter((c) => PROBE.test(c))).toHaveLength(3);
  });

  it('a swarm that keeps having no leader is a clear STATE error; no manager at all is SSH_UNREACHABLE', async () => {
    const cluster = await recordCluster();
    for (const m of ['m2', 'm3']) {
      nodes.get(m)!.on(PROBE, { exitCode: 1, stdout: info({ state: 'active', manager: true }), stderr: NO_LEADER });
    }
    down.add('m1');
    const err = await reachManager(ctx, cluster, { retryMs: 1, electionWaitMs: 30 }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'STATE',
      message: "the swarm of cluster 'prod' has no leader",
      hint: expect.stringContaining('fewer than a majority of its 3 manager(s) are up'),
    });
    for (const m of ['m1', 'm2', 'm3']) down.add(m);
    const none = await reachManager(ctx, cluster, { retryMs: 1 }).catch((e: unknown) => e);
    expect(none).toMatchObject({ code: 'SSH_UNREACHABLE', hint: expect.stringContaining('m3: cannot reach') });
  });

  it('cluster show marks the leader, the unreachable manager and who answered', async () => {
    await recordCluster();
    nodes.get('m1')!.on(PROBE, { exitCode: 1, stderr: ENGINE_DOWN });
    nodes.get('m2')!.on(PROBE, ready('m2'));
    const k = await showCluster(ctx, 'prod');
    expect(k.manager).toBe('m2');
    expect(k.passedOver).toEqual([{ server: 'm1', error: `Docker engine not answering (${ENGINE_DOWN})` }]);
    expect(k.live?.map((n) => `${n.hostname}:${n.status}:${n.managerStatus}`)).toEqual([
      'm1:Down:Unreachable',
      'm2:Ready:Leader',
      'm3:Ready:Reachable',
      'w1:Ready:',
    ]);
    expect(k.nodes.map((n) => `${n.server}:${n.role}`)).toEqual([
      'm1:manager',
      'm2:manager',
      'm3:manager',
      'w1:worker',
    ]);
    expect(nodes.get('m2')!.closed).toBe(true);
  });

  it('remove-node goes through the first manager that can act', async () => {
    await recordCluster();
    await ctx.store.db.updateTable('cluster_nodes').set({ node_id: 'id-w1' }).execute();
    nodes.get('m1')!.on(PROBE, { exitCode: 1, stderr: ENGINE_DOWN });
    nodes.get('m2')!.on(PROBE, ready('m2'));
    const r = await runPlan(ctx, await prepareRemoveNode(ctx, 'prod', 'w1'));
    expect(r.drainedTasks).toBe(0);
    const m2 = nodes.get('m2')!.commands;
    expect(m2).toContain('docker node update --availability drain id-w1 > /dev/null');
    expect(m2).toContain('docker node rm --force id-w1');
    expect(nodes.get('m1')!.commands.some((c) => /docker node (update|rm)/.test(c))).toBe(false);
    const steps = (await jobs.get(r.jobId)).steps;
    expect(steps.find((s) => s.name === 'connect to a manager')?.detail).toMatch(
      /^m2 \(recording\), leader m2; passed over m1$/,
    );
    expect(nodes.get('w1')!.commands).toContain('docker swarm leave');
  });

  it('remove-node of a manager: demoted through another manager, left once it knows, then removed', async () => {
    await recordCluster();
    for (const m of ['m1', 'm2', 'm3', 'w1']) {
      await ctx.store.db
        .updateTable('cluster_nodes')
        .set({ node_id: `id-${m}` })
        .where(
          'server_id',
          '=',
          (await ctx.store.db.selectFrom('servers').select('id').where('name', '=', m).executeTakeFirstOrThrow()).id,
        )
        .execute();
    }
    // A cluster app is recorded on the first manager, m1: it moves to m2 when m1 leaves.
    await createApp(ctx, {
      name: 'web',
      image: 'web:1',
      domains: ['web.example.com', 'www.example.com'],
      cluster: { cluster: 'prod' },
    });
    // m1 could act, but it is the one leaving: the job goes through m2.
    nodes.get('m1')!.on(PROBE, ready('m1'));
    nodes.get('m2')!.on(PROBE, ready('m2'));
    // m1 still reports itself a manager once after the demotion, then a worker.
    nodes
      .get('m1')!
      .on('docker info', { stdout: info({ state: 'active', manager: true, id: 'id-m1' }) }, 1)
      .on('docker info', { stdout: info({ state: 'active', manager: false, id: 'id-m1' }) });
    const plan = await prepareRemoveNode(ctx, 'prod', 'm1');
    expect(plan.spec.plannedSteps).toEqual([
      'connect to a manager',
      'demote m1',
      'drain m1',
      'leave m1',
      'remove from node list',
      'close swarm ports',
    ]);
    const r = await runPlan(ctx, plan);
    const m2 = nodes.get('m2')!.commands;
    const order = [
      'docker node demote id-m1',
      'docker node update --availability drain id-m1 > /dev/null',
      'docker node rm --force id-m1',
    ];
    expect(order.map((c) => m2.indexOf(c))).toEqual([...order.map((c) => m2.indexOf(c))].sort((a, b) => a - b));
    expect(order.every((c) => m2.includes(c))).toBe(true);
    const m1 = nodes.get('m1')!.commands;
    expect(m1.filter((c) => PROBE.test(c))).toEqual([]);
    expect(m1.filter((c) => c.startsWith('docker info')).length).toBe(2);
    expect(m1).toContain('docker swarm leave');
    const steps = (await jobs.get(r.jobId)).steps;
    expect(steps.find((x) => x.name === 'demote m1')?.detail).toBe(
      '2 manager(s) left: an even count survives no more losses than one fewer',
    );
    expect((await getCluster(ctx, 'prod')).members.map((m) => m.server.name)).toEqual(['m2', 'm3', 'w1']);
    expect(steps.find((x) => x.name === 'remove from node list')?.detail).toBe('1 cluster app(s) now recorded on m2');
    const app = await ctx.store.db
      .selectFrom('apps')
      .innerJoin('servers', 'servers.id', 'apps.server_id')
      .select('servers.name')
      .where('apps.name', '=', 'web')
      .executeTakeFirstOrThrow();
    expect(app.name).toBe('m2');
    const extra = await ctx.store.db
      .selectFrom('app_domains')
      .innerJoin('servers', 'servers.id', 'app_domains.server_id')
      .select(['servers.name', 'app_domains.domain'])
      .execute();
    expect(extra).toEqual([{ name: 'm2', domain: 'www.example.com' }]);
  });

  it('remove-node of a manager is refused before any step when its cluster apps cannot move', async () => {
    await recordCluster();
    await ctx.store.db.updateTable('cluster_nodes').set({ node_id: 'some-id' }).execute();
    await createApp(ctx, { name: 'web', image: 'web:1', cluster: { cluster: 'prod' } });
    await createApp(ctx, { name: 'web', image: 'web:1', server: 'm2' });
    await expect(prepareRemoveNode(ctx, 'prod', 'm1')).rejects.toMatchObject({
      code: 'CONFLICT',
      message: "the cluster apps on 'm1' cannot move to manager 'm2': it has the same app name 'web'",
    });
    await createApp(ctx, { name: 'api', image: 'api:1', domain: 'api.example.com', cluster: { cluster: 'prod' } });
    await createApp(ctx, { name: 'other', image: 'api:1', domain: 'api.example.com', server: 'm2' });
    await expect(prepareRemoveNode(ctx, 'prod', 'm1')).rejects.toMatchObject({
      message: expect.stringContaining("app name 'web', domain api.example.com"),
    });
    expect(connects).toEqual([]);
  });

  it('remove-node refuses the only manager; add-node --manager joins with the manager token', async () => {
    await prepareCreateCluster(ctx, { name: 'solo', manager: 'm1', workers: ['w1'] });
    await ctx.store.db.updateTable('clusters').set({ status: 'active' }).execute();
    await expect(prepareRemoveNode(ctx, 'solo', 'm1')).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: "'m1' is the only manager of 'solo'",
    });
    const MANAGER_TOKEN = 'SWMTKN-1-managersecret-add';
    nodes
      .get('m1')!
      .on(PROBE, ready('m1'))
      .on('join-token --quiet manager', { stdout: `${MANAGER_TOKEN}\n` });
    nodes
      .get('m2')!
      .on('docker info', { stdout: info({ state: 'inactive', manager: false }) }, 1)
      .on('docker info', { stdout: info({ state: 'active', manager: true, id: 'id-m2' }) });
    const plan = await prepareAddNode(ctx, 'solo', 'm2', { manager: true });
    expect(plan.spec.plannedSteps).toEqual([
      'connect to a manager',
      'read join token',
      'open swarm ports to members',
      'join m2 as manager',
    ]);
    const view = await runPlan(ctx, plan);
    expect(view.nodes.map((n) => `${n.server}:${n.role}`)).toEqual(['m1:manager', 'm2:manager', 'w1:worker']);
    expect(JSON.parse(nodes.get('m2')!.secretStdins.at(-1)!).JoinToken).toBe(MANAGER_TOKEN);
    expect(nodes.get('m1')!.commands).not.toContain('docker swarm join-token --quiet worker');
    const steps = (await jobs.get(view.jobId)).steps;
    expect(steps.find((x) => x.name === 'join m2 as manager')?.detail).toBe(
      'Docker 20.10.24, joined as manager (2 managers survive no more losses than 1: add one more)',
    );
    expect(JSON.stringify(await jobs.logs(view.jobId))).not.toContain(MANAGER_TOKEN);
  });

  it('create: swarm init on the first, the others join as managers with the manager token on stdin only', async () => {
    const WORKER_TOKEN = 'SWMTKN-1-workersecret-abc';
    const MANAGER_TOKEN = 'SWMTKN-1-managersecret-xyz';
    for (const [name, ex] of nodes) {
      ex.on('docker info', { stdout: info({ state: 'inactive', manager: false }) }, 1).on('docker info', {
        stdout: info({ state: 'active', manager: name.startsWith('m'), id: `id-${name}` }),
      });
    }
    const m1 = nodes.get('m1')!;
    m1.on('join-token --quiet worker', { stdout: `${WORKER_TOKEN}\n` })
      .on('join-token --quiet manager', { stdout: `${MANAGER_TOKEN}\n` })
      .on('docker network inspect', { exitCode: 1 });
    const plan = await prepareCreateCluster(ctx, {
      name: 'prod',
      manager: 'm1',
      managers: ['m2', 'm3'],
      workers: ['w1'],
      settings: { proxyImage: '127.0.0.1:5000/caddy:2' },
    });
    expect(plan.spec.plannedSteps).toEqual([
      'connect',
      'check nodes',
      'init swarm on m1',
      'join m2 as manager',
      'join m3 as manager',
      'join w1',
      'open swarm ports to members',
      'create network',
      'deploy edge proxy',
    ]);
    const view = await runPlan(ctx, plan);
    expect(view.nodes.map((n) => `${n.server}:${n.role}:${n.nodeId}`)).toEqual([
      'm1:manager:id-m1',
      'm2:manager:id-m2',
      'm3:manager:id-m3',
      'w1:worker:id-w1',
    ]);
    expect(m1.commands).toContain('docker swarm init --advertise-addr 10.9.0.1 > /dev/null');
    const body = (ex: Node) => JSON.parse(ex.secretStdins.at(-1)!) as Record<string, unknown>;
    for (const [name, addr] of [
      ['m2', '10.9.0.2'],
      ['m3', '10.9.0.3'],
    ] as const) {
      expect(body(nodes.get(name)!)).toEqual({
        ListenAddr: '0.0.0.0:2377',
        AdvertiseAddr: addr,
        RemoteAddrs: ['10.9.0.1:2377'],
        JoinToken: MANAGER_TOKEN,
      });
    }
    expect(body(nodes.get('w1')!).JoinToken).toBe(WORKER_TOKEN);
    // No token in any command line or in the job's log, steps and result.
    const job = await jobs.get(view.jobId);
    const logs = JSON.stringify(await jobs.logs(view.jobId));
    for (const token of [WORKER_TOKEN, MANAGER_TOKEN]) {
      for (const ex of nodes.values()) for (const c of ex.commands) expect(c).not.toContain(token);
      expect(logs).not.toContain(token);
      expect(JSON.stringify(job)).not.toContain(token);
    }
    expect(job.steps.find((s) => s.name === 'join m2 as manager')?.detail).toBe(
      'joined as manager (token sent on stdin)',
    );
    // The edge stack file is written on the init manager, under its own root.
    expect(m1.puts.map((p) => p.path)).toContain('/srv/ikt/clusters/prod/edge.yml');
    expect((await getCluster(ctx, 'prod')).row.status).toBe('active');
  });

  it('create: a manager that cannot join makes every node that joined leave again, and forgets the cluster', async () => {
    for (const [name, ex] of nodes) {
      ex.on('docker info', { stdout: info({ state: 'inactive', manager: false }) }, 1).on('docker info', {
        stdout: info({ state: 'active', manager: true, id: `id-${name}` }),
      });
    }
    nodes.get('m1')!.on('join-token', { stdout: 'SWMTKN-1-t\n' });
    nodes.get('m3')!.on('http://localhost/swarm/join', { exitCode: 22, stdout: '{"message":"timeout joining"}' });
    const err = await runPlan(
      ctx,
      await prepareCreateCluster(ctx, { name: 'prod', manager: 'm1', managers: ['m2', 'm3'] }),
    ).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'COMMAND_FAILED', message: expect.stringContaining('m3 could not join') });
    expect(nodes.get('m2')!.commands).toContain('docker swarm leave --force');
    expect(nodes.get('m1')!.commands).toContain('docker swarm leave --force');
    expect(nodes.get('m3')!.commands).not.toContain('docker swarm leave --force');
    expect(await ctx.store.db.selectFrom('clusters').selectAll().execute()).toEqual([]);
  });
});
