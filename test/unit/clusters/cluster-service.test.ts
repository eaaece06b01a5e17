// Cluster and cluster-app validation on a real SQLite state: bad input is refused before any job or remote
// command, and nothing is written.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { prepareAppUpdate } from '../../../src/services/apps/app-update.js';
import { createApp } from '../../../src/services/apps/apps.js';
import { clusterDeployPlan, sortableTime } from '../../../src/services/clusters/cluster-app-ops.js';
import { nodeLocalTag } from '../../../src/services/clusters/cluster-local-image.js';
import { listClusters } from '../../../src/services/clusters/clusters.js';
import { prepareCreateCluster } from '../../../src/services/clusters/create.js';
import { prepareDestroyCluster } from '../../../src/services/clusters/destroy.js';
import { prepareRemoveNode } from '../../../src/services/clusters/nodes.js';
import { registerServer, removeServer } from '../../../src/services/servers/servers.js';
import { openTestState, removeDir, type TestState, tempDir } from '../../helpers/state.js';

let dir: string;
let state: TestState;
beforeEach(async () => {
  dir = tempDir();
  state = openTestState(join(dir, 'home'));
  for (const [name, host] of [
    ['m1', '10.1.0.1'],
    ['w1', '10.1.0.2'],
    ['byname', 'web-1.example.com'],
  ] as const) {
    await registerServer(state.ctx, { name, host, root: '/opt/infrakt' });
  }
});
afterEach(async () => {
  await state.close();
  removeDir(dir);
});

describe('cluster create', () => {
  it('records the cluster and its members with their roles before the job runs', async () => {
    const plan = await prepareCreateCluster(state.ctx, { name: 'prod', manager: 'm1', workers: ['w1'] });
    expect(plan.spec.plannedSteps).toEqual([
      'connect',
      'check nodes',
      'init swarm on m1',
      'join w1',
      'open swarm ports to members',
      'create network',
      'deploy edge proxy',
    ]);
    const [k] = await listClusters(state.ctx);
    expect(k).toMatchObject({ name: 'prod', status: 'creating', network: 'infrakt-prod', httpPort: 80 });
    expect(k!.nodes.map((n) => `${n.server}:${n.role}`)).toEqual(['m1:manager', 'w1:worker']);
  });

  it('refuses a server registered by name (Swarm advertises an IP), a duplicate, a member of another cluster', async () => {
    await expect(prepareCreateCluster(state.ctx, { name: 'a', manager: 'byname' })).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringContaining('not an IP address'),
    });
    await expect(prepareCreateCluster(state.ctx, { name: 'a', manager: 'm1', workers: ['m1'] })).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    await prepareCreateCluster(state.ctx, { name: 'prod', manager: 'm1' });
    await expect(prepareCreateCluster(state.ctx, { name: 'prod', manager: 'w1' })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
    await expect(
      prepareCreateCluster(state.ctx, { name: 'other', manager: 'w1', workers: ['m1'] }),
    ).rejects.toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining("already a node of cluster 'prod'"),
    });
    await expect(prepareCreateCluster(state.ctx, { name: 'Bad Name', manager: 'w1' })).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    expect((await listClusters(state.ctx)).map((k) => k.name)).toEqual(['prod']);
  });

  it('keeps a cluster member from being forgotten, and a manager from being removed as a node', async () => {
    await prepareCreateCluster(state.ctx, { name: 'prod', manager: 'm1', workers: ['w1'] });
    await expect(removeServer(state.ctx, 'w1', { force: true })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(prepareRemoveNode(state.ctx, 'prod', 'm1')).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    await expect(prepareRemoveNode(state.ctx, 'prod', 'byname')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('apps on a cluster', () => {
  beforeEach(async () => {
    await prepareCreateCluster(state.ctx, { name: 'prod', manager: 'm1', workers: ['w1'] });
    await state.ctx.store.db.updateTable('clusters').set({ status: 'active' }).execute();
  });

  it('records an image app on the manager with its replicas, placement and spread', async () => {
    const v = await createApp(state.ctx, {
      name: 'web',
      image: 'nginx:alpine',
      cluster: { cluster: 'prod', replicas: 3, placement: ['node.role==worker'], maxPerNode: 2 },
    });
    expect(v.server).toBe('m1');
    expect(v.cluster).toEqual({ cluster: 'prod', replicas: 3, placement: ['node.role==worker'], maxPerNode: 2 });
    expect((await listClusters(state.ctx))[0]!.apps).toEqual([{ name: 'web', replicas: 3, domain: null }]);
    await expect(prepareDestroyCluster(state.ctx, 'prod')).rejects.toMatchObject({ code: 'CONFLICT' });
  });

  it('refuses git apps, bad placement and bad replica counts, writing nothing', async () => {
    await expect(
      createApp(state.ctx, { name: 'g', git: 'https://github.com/a/b', cluster: { cluster: 'prod' } }),
    ).rejects.toMatchObject({ code: 'UNSUPPORTED' });
    await expect(
      createApp(state.ctx, {
        name: 'p',
        image: 'nginx',
        cluster: { cluster: 'prod', placement: ['node.role==worker; reboot'] },
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION' });
    await expect(
      createApp(state.ctx, { name: 'r', image: 'nginx', cluster: { cluster: 'prod', replicas: 0 } }),
    ).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    await expect(
      createApp(state.ctx, { name: 'n', image: 'nginx', cluster: { cluster: 'nope' } }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    expect(await state.ctx.store.db.selectFrom('apps').selectAll().execute()).toEqual([]);
  });

  it('keeps every domain of a cluster app; a bad --local-image or a --commit is refused before any job', async () => {
    const v = await createApp(state.ctx, {
      name: 'web',
      image: 'nginx:alpine',
      domains: ['a.example.com', 'b.example.com'],
      cluster: { cluster: 'prod', replicas: 2 },
    });
    expect(v.domains).toEqual(['a.example.com', 'b.example.com']);
    expect(v.cluster).toMatchObject({ cluster: 'prod', replicas: 2 });
    await expect(clusterDeployPlan(state.ctx, 'web', { localImage: 'bad image;' })).rejects.toMatchObject({
      code: 'VALIDATION',
    });
    // The local image is inspected on this machine before any job: no Docker here, a clear error.
    const saved = process.env.INFRAKT_DOCKER;
    process.env.INFRAKT_DOCKER = join(dir, 'no-docker');
    try {
      await expect(clusterDeployPlan(state.ctx, 'web', { localImage: 'web:dev' })).rejects.toMatchObject({
        code: 'UNSUPPORTED',
        message: expect.stringContaining('cannot run'),
      });
    } finally {
      if (saved === undefined) delete process.env.INFRAKT_DOCKER;
      else process.env.INFRAKT_DOCKER = saved;
    }
    await expect(clusterDeployPlan(state.ctx, 'web', { commit: 'a'.repeat(40) })).rejects.toMatchObject({
      code: 'UNSUPPORTED',
    });
    expect(await state.ctx.store.db.selectFrom('jobs').selectAll().execute()).toEqual([]);
    // A single-server app is not the cluster's to deploy.
    await createApp(state.ctx, { name: 'solo', server: 'w1', image: 'nginx:alpine' });
    expect(await clusterDeployPlan(state.ctx, 'solo', {})).toBeNull();
  });

  it("a domain change of a deployed cluster app is a job on a manager's edge; before the first deploy it is stored", async () => {
    await createApp(state.ctx, {
      name: 'web',
      image: 'nginx:alpine',
      domains: ['a.example.com'],
      cluster: { cluster: 'prod' },
    });
    const fresh = await prepareAppUpdate(state.ctx, 'web', { domains: ['b.example.com'] });
    expect(fresh.plan).toBeNull();
    await state.ctx.store.db.updateTable('apps').set({ current_release: 1, status: 'running' }).execute();
    const { plan } = await prepareAppUpdate(state.ctx, 'web', { domains: ['b.example.com', 'c.example.com'] });
    expect(plan?.spec).toMatchObject({
      kind: 'app.update',
      plannedSteps: ['connect to a manager', 'update edge proxy'],
      params: { app: 'web', cluster: 'prod', domains: ['b.example.com', 'c.example.com'] },
    });
    // Nothing is written before the job runs; the edge has no www redirect, refused before any job.
    expect((await state.ctx.store.db.selectFrom('apps').select('domain').executeTakeFirstOrThrow()).domain).toBe(
      'a.example.com',
    );
    await expect(prepareAppUpdate(state.ctx, 'web', { wwwRedirect: true })).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringContaining('no www redirect'),
    });
    expect(await state.ctx.store.db.selectFrom('jobs').selectAll().execute()).toEqual([]);
  });

  it('names a local image on the nodes under a loopback registry, by app and image id', () => {
    const tag = nodeLocalTag('web', `sha256:${'ab12'.repeat(16)}`);
    expect(tag).toBe('127.0.0.1:1/infrakt-local/web:ab12ab12ab12');
  });

  it('sorts log timestamps whatever fraction Docker printed', () => {
    const times = [
      '2026-11-30T10:00:01.12Z',
      '2026-11-30T10:00:01.1Z',
      '2026-11-30T10:00:01Z',
      '2026-11-30T10:00:00.999999999Z',
    ];
    expect([...times].sort((a, b) => (sortableTime(a) < sortableTime(b) ? -1 : 1))).toEqual([
      '2026-11-30T10:00:00.999999999Z',
      '2026-11-30T10:00:01Z',
      '2026-11-30T10:00:01.1Z',
      '2026-11-30T10:00:01.12Z',
    ]);
  });
});
