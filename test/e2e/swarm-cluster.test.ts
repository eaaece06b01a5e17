// Docker Swarm clusters end to end, through the built CLI: three nodes, each a network namespace with its own
// dockerd and OpenSSH sshd (test/harness/swarm-nodes.ts). One lab for the whole file; the tests run in order
// (create → deploy → rolling update → broken release → node failure → scale/rollback → destroy).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../harness/chromium.js';
import { CLI_BIN, cleanupHomes, ensureWebBuilt, makeInfraktHome, REPO_ROOT, runCli } from '../harness/cli.js';
import { kernelTakesEspGcm } from '../harness/kernel-esp.js';
import { waitFor } from '../harness/sshd.js';
import { type SwarmLab, startSwarmLab, swarmLabAvailable } from '../harness/swarm-nodes.js';

const WEB1 = '127.0.0.1:5000/ikt-test/web:1';
const WEB2 = '127.0.0.1:5000/ikt-test/web:2';
const CADDY = '127.0.0.1:5000/ikt-test/caddy:2';
const DOMAIN = 'web.cluster.test';

let lab: SwarmLab;
let home: string;
/** The worker whose engine the failure test stopped. */
let stopped = '';
const cli = (args: string[], timeoutMs = 300_000) => runCli(args, { home, timeoutMs });
const json = async <T>(args: string[]): Promise<T> => {
  const r = await cli([...args, '--json']);
  if (r.code !== 0) throw new Error(`infrakt ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as T;
};

/** One HTTP request to a node's edge proxy, from inside the node's namespace (a client on the cluster network). */
function get(nodeIdx: number, path = '/'): string {
  const node = lab.nodes[nodeIdx]!;
  return lab.inNode(
    node,
    `wget -q -T 5 -O - --header 'Host: ${DOMAIN}' 'http://${node.ip}:80${path}' 2>&1 || echo "FAILED $?"`,
  );
}

/** Requests against one node's edge while `during` runs: counts answers per body and failures after one retry. */
async function underLoad(nodeIdx: number, during: () => Promise<unknown>) {
  const counts = new Map<string, number>();
  let failed = 0;
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      let body = get(nodeIdx).trim();
      if (body.startsWith('FAILED')) body = get(nodeIdx).trim(); // one retry of a reset connection
      if (body.startsWith('FAILED')) failed++;
      else counts.set(body, (counts.get(body) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const started = Date.now();
  try {
    await during();
  } finally {
    stop = true;
    await loop;
  }
  return { counts, failed, ms: Date.now() - started };
}

const available = swarmLabAvailable();
const HOST_DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

/**
 * The machine engine's default bridge, by interface index: deleting docker0 and creating it again (as a watchdog
 * or the engine would) gives a new index. The lab's engines must never touch it (see swarm-nodes.ts).
 */
const docker0Index = () => readFileSync('/sys/class/net/docker0/ifindex', 'utf8').trim();
/** A container of the machine engine on its default bridge: fails when docker0 is gone or broken. */
const machineEngineRuns = () =>
  execFileSync(
    HOST_DOCKER,
    ['run', '--rm', '--pull', 'never', '--network', 'bridge', 'infrakt-test/web:1', 'echo', 'machine-ok'],
    { encoding: 'utf8', timeout: 120_000 },
  ).trim();
let docker0Before = '';

describe.skipIf(!available)('swarm cluster', () => {
  beforeAll(async () => {
    docker0Before = docker0Index();
    const t0 = Date.now();
    lab = await startSwarmLab(3);
    console.log(`lab: 3 nodes (namespace, dockerd, sshd) answering after ${Date.now() - t0} ms`);
    // No registry here: the images are on every node under a loopback registry name (a pull goes nowhere).
    lab.loadImage('infrakt-test/web:1', WEB1);
    lab.loadImage('infrakt-test/web:2', WEB2);
    lab.loadImage('infrakt-test/caddy:2', CADDY);
    home = makeInfraktHome();
    for (const node of lab.nodes) {
      const r = await cli([
        'server',
        'add',
        '--name',
        node.name,
        '--host',
        node.ip,
        '--key',
        node.keyPath,
        '--root',
        node.root,
      ]);
      if (r.code !== 0) throw new Error(`server add ${node.name}: ${r.stderr}`);
    }
  }, 240_000);

  afterAll(async () => {
    await lab?.stop();
    cleanupHomes();
  }, 120_000);

  it("started the nodes' engines without touching the machine's docker0", () => {
    expect(docker0Index()).toBe(docker0Before);
    expect(machineEngineRuns()).toBe('machine-ok');
    // Each node's engine has its own default bridge, inside its namespace.
    expect(
      lab.nodes[0]!.docker([
        'network',
        'inspect',
        'bridge',
        '--format',
        '{{index .Options "com.docker.network.bridge.name"}}',
      ]).trim(),
    ).toMatch(/^iks[0-9a-f]{6}b1$/);
  });

  it("--encrypted: every node's kernel is asked first; without ESP AES-GCM the create is refused and nothing changes", async () => {
    // This machine's kernel (which the lab's nodes share), asked independently of infrakt.
    const kernel = kernelTakesEspGcm();
    const t0 = Date.now();
    const r = await cli([
      'cluster',
      'create',
      'sec',
      '--manager',
      'node1',
      '--workers',
      'node2,node3',
      '--proxy-image',
      CADDY,
      '--encrypted',
    ]);
    console.log(
      `encrypted create: kernel ${kernel.can ? 'has' : `lacks (${kernel.said})`} ESP AES-GCM; ${r.code === 0 ? 'created' : 'refused'} in ${Date.now() - t0} ms`,
    );
    if (kernel.can) {
      expect(r.code, r.stderr).toBe(0);
      const options = lab.nodes[0]!.docker(['network', 'inspect', 'infrakt-sec', '--format', '{{json .Options}}']);
      expect(JSON.parse(options)).toHaveProperty('encrypted');
      expect((await json<{ encrypted: boolean }>(['cluster', 'show', 'sec'])).encrypted).toBe(true);
      const gone = await cli(['cluster', 'destroy', 'sec', '-y']);
      expect(gone.code, gone.stderr).toBe(0);
    } else {
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(
        "the overlay network cannot be encrypted: Docker's encrypted overlay needs IPsec ESP with AES-GCM (rfc4106(gcm(aes))) in every node's kernel, and node1, node2, node3 lack it",
      );
      expect(r.stderr).toContain(kernel.said);
      expect(r.stderr).toMatch(/modprobe -a xfrm_user esp4 gcm aes.*create the cluster without --encrypted/);
      // Nothing was created: no node is in a swarm, no cluster is recorded, the node check was the last step run.
      for (const node of lab.nodes) {
        expect(node.docker(['info', '--format', '{{.Swarm.LocalNodeState}}']).trim(), node.name).toBe('inactive');
      }
      expect(await json<unknown[]>(['cluster', 'list'])).toEqual([]);
      const job = await json<{ steps: { name: string; status: string }[] }>(['job', 'show', 'last']);
      expect(
        job.steps
          .filter((st) => ['succeeded', 'failed', 'unchanged'].includes(st.status))
          .map((st) => `${st.name}:${st.status}`),
      ).toEqual(['connect:succeeded', 'check nodes:failed']);
    }
  });

  it('creates the cluster; the join token never reaches the job log or the local state', async () => {
    const r = await cli([
      'cluster',
      'create',
      'prod',
      '--manager',
      'node1',
      '--workers',
      'node2',
      '--proxy-image',
      CADDY,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const job = JSON.parse(r.stdout) as { id: string; status: string };
    expect(job.status).toBe('succeeded');
    const token = lab.nodes[0]!.docker(['swarm', 'join-token', '--quiet', 'worker']).trim();
    expect(token).toMatch(/^SWMTKN-/);
    const logs = await cli(['job', 'logs', job.id]);
    expect(logs.stdout).not.toContain(token);
    const show = await cli(['job', 'show', job.id, '--json']);
    expect(show.stdout).not.toContain(token);
    expect(readFileSync(join(home, 'infrakt.db')).includes(Buffer.from(token))).toBe(false);
    // The swarm is real: node2 joined node1's swarm.
    const nodes = lab.nodes[0]!.docker(['node', 'ls', '--format', '{{.Hostname}} {{.Status}}'])
      .trim()
      .split('\n')
      .sort();
    expect(nodes).toEqual(['node1 Ready', 'node2 Ready']);
  });

  it('adds a node: it joins with the token over stdin and gets the edge proxy', async () => {
    const r = await cli(['cluster', 'add-node', 'prod', 'node3', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const token = lab.nodes[0]!.docker(['swarm', 'join-token', '--quiet', 'worker']).trim();
    expect((await cli(['job', 'logs', (JSON.parse(r.stdout) as { id: string }).id])).stdout).not.toContain(token);
    expect(lab.nodes[2]!.docker(['info', '--format', '{{.Swarm.LocalNodeState}}']).trim()).toBe('active');
    const again = await cli(['cluster', 'add-node', 'prod', 'node3']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already a node of cluster 'prod'/);
  });

  it('lists and shows the cluster with live node roles, availability and Docker versions', async () => {
    const list = await json<{ name: string; encrypted: boolean; nodes: { server: string; role: string }[] }[]>([
      'cluster',
      'list',
    ]);
    expect(list.map((k) => k.name)).toEqual(['prod']);
    expect(list[0]!.encrypted).toBe(false);
    expect(list[0]!.nodes.map((n) => `${n.server}:${n.role}`)).toEqual([
      'node1:manager',
      'node2:worker',
      'node3:worker',
    ]);
    const show = await json<{
      live: { server: string; status: string; availability: string; managerStatus: string; engineVersion: string }[];
    }>(['cluster', 'show', 'prod']);
    const live = [...show.live].sort((a, b) => a.server.localeCompare(b.server));
    expect(live.map((n) => [n.server, n.status, n.availability, n.managerStatus])).toEqual([
      ['node1', 'Ready', 'Active', 'Leader'],
      ['node2', 'Ready', 'Active', ''],
      ['node3', 'Ready', 'Active', ''],
    ]);
    expect(live[0]!.engineVersion).toMatch(/^\d+\.\d+/);
  });

  it('deploys an image app with 3 replicas spread over the nodes, reachable through Caddy on every node', async () => {
    const created = await cli([
      'app',
      'create',
      '--cluster',
      'prod',
      '--name',
      'web',
      '--image',
      WEB1,
      '--port',
      '3000',
      '--domain',
      DOMAIN,
      '--replicas',
      '3',
      '--max-per-node',
      '2',
      '--health-path',
      '/health',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const r = await cli(['app', 'deploy', 'web']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/3 replica\(s\) of 127\.0\.0\.1:5000\/ikt-test\/web:1 healthy on cluster prod/);
    console.log(`first deploy, 3 replicas: ${/(\d+) ms to converged/.exec(r.stdout)?.[1]} ms to converged`);
    const ps = await json<{ running: number; tasks: { node: string; desiredState: string }[] }>(['app', 'ps', 'web']);
    expect(ps.running).toBe(3);
    const nodes = new Set(ps.tasks.filter((t) => t.desiredState === 'Running').map((t) => t.node));
    expect(nodes.size).toBeGreaterThanOrEqual(2);
    for (const i of [0, 1, 2]) {
      await expect.poll(() => get(i).trim(), { timeout: 60_000, interval: 500 }).toBe('infrakt-test-web version=v1');
    }
  });

  it('rolls out a new image start-first under steady load with no failed request', async () => {
    expect((await cli(['app', 'update', 'web', '--image', WEB2])).code).toBe(0);
    const load = await underLoad(0, async () => {
      const r = await cli(['app', 'deploy', 'web']);
      expect(r.code, r.stderr + r.stdout).toBe(0);
    });
    console.log(`rolling update: ${load.ms} ms, answers ${JSON.stringify([...load.counts])}, failed ${load.failed}`);
    expect(load.failed).toBe(0);
    expect(load.counts.get('infrakt-test-web version=v2')).toBeGreaterThan(0);
    expect(get(1).trim()).toBe('infrakt-test-web version=v2');
  });

  it('a release that never gets healthy is rolled back by Swarm and the old one keeps serving', async () => {
    expect((await cli(['env', 'set', 'web', 'FAIL_HEALTH=1'])).code).toBe(0);
    const load = await underLoad(1, async () => {
      const r = await cli(['app', 'deploy', 'web']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/rolled back to 127\.0\.0\.1:5000\/ikt-test\/web:2, which keeps serving/);
    });
    console.log(`broken release: ${load.ms} ms, answers ${JSON.stringify([...load.counts])}, failed ${load.failed}`);
    expect(load.failed).toBe(0);
    expect([...load.counts.keys()]).toEqual(['infrakt-test-web version=v2']);
    expect((await cli(['env', 'delete', 'web', 'FAIL_HEALTH'])).code).toBe(0);
    const show = await json<{ status: string; currentRelease: number }>(['app', 'show', 'web']);
    expect(show.status).toBe('running');
  });

  it("app logs shows every replica's lines, prefixed with its task and node", async () => {
    // While every node is up: `docker service logs` fails outright when a node holding tasks is down.
    const logs = await cli(['app', 'logs', 'web', '--lines', '20']);
    expect(logs.code, logs.stderr).toBe(0);
    const nodes = new Set(
      [...`${logs.stdout}${logs.stderr}`.matchAll(/ikt-web_app\.\d+\.\w+@(node\d)/g)].map((m) => m[1]),
    );
    expect(nodes.size).toBeGreaterThanOrEqual(2);
  });

  it('deploys an image of this machine with --local-image: sent to every node at once, served everywhere', async () => {
    // infrakt-test/web:3 is on this machine only (the nodes got web:1 and web:2 under loopback names).
    expect(() => lab.nodes[1]!.docker(['image', 'inspect', 'infrakt-test/web:3'])).toThrow();
    const r = await cli(['app', 'deploy', 'web', '--local-image', 'infrakt-test/web:3', '--json']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const job = JSON.parse(r.stdout) as { id: string; steps: { name: string; detail: string | null }[] };
    const sent = job.steps.find((st) => st.name === 'send image to nodes');
    expect(sent?.detail).toMatch(
      /infrakt-test\/web:3 on 3 node\(s\) as 127\.0\.0\.1:1\/infrakt-local\/web:[0-9a-f]{12} \(3 sent/,
    );
    console.log(`local image to 3 nodes: ${sent?.detail}`);
    const logs = (await cli(['job', 'logs', job.id])).stdout;
    for (const node of ['node1', 'node2', 'node3'])
      expect(logs).toMatch(new RegExp(`${node}: [\\d.]+ MB as [\\d.]+ MB gzip`));
    for (const i of [0, 1, 2]) {
      await expect.poll(() => get(i).trim(), { timeout: 60_000, interval: 500 }).toBe('infrakt-test-web version=v3');
    }
    // Every node holds this machine's image under the name the service runs.
    const tag = /as (127\.0\.0\.1:1\/\S+)/.exec(sent?.detail ?? '')![1]!;
    const id = execFileSync(HOST_DOCKER, ['image', 'inspect', '--format', '{{.Id}}', 'infrakt-test/web:3'], {
      encoding: 'utf8',
    }).trim();
    for (const node of lab.nodes) {
      expect(node.docker(['image', 'inspect', '--format', '{{.Id}}', tag]).trim()).toBe(id);
    }
    const service = lab.nodes[0]!.docker([
      'service',
      'inspect',
      '--format',
      '{{.Spec.TaskTemplate.ContainerSpec.Image}}',
      'ikt-web_app',
    ]);
    expect(service.trim()).toBe(tag);
  });

  it("a worker's engine stops: its replicas are rescheduled and the domain keeps answering", async () => {
    type Ps = { tasks: { node: string; desiredState: string; currentState: string }[] };
    const running = (ps: Ps) =>
      ps.tasks.filter((t) => t.desiredState === 'Running' && t.currentState.startsWith('Running'));
    const before = running(await json<Ps>(['app', 'ps', 'web']));
    // The worker holding most replicas (with at most 2 per node, one of node2/node3 holds at least one).
    const victim = ['node2', 'node3']
      .map((n) => ({ n, k: before.filter((t) => t.node === n).length }))
      .sort((a, b) => b.k - a.k)[0]!;
    expect(victim.k).toBeGreaterThan(0);
    stopped = victim.n;
    const load = await underLoad(0, async () => {
      await lab.nodes.find((x) => x.name === victim.n)!.stopEngine();
      await expect
        .poll(async () => running(await json<Ps>(['app', 'ps', 'web'])).filter((t) => t.node !== victim.n).length, {
          timeout: 120_000,
          interval: 1000,
        })
        .toBe(3);
    });
    console.log(
      `node failure: ${victim.k} replica(s) on ${victim.n}, all 3 running elsewhere after ${load.ms} ms; answers ${JSON.stringify([...load.counts])}, failed ${load.failed}`,
    );
    expect(load.failed).toBe(0);
    expect(get(0).trim()).toBe('infrakt-test-web version=v3');
    // Swarm refuses a service's whole log stream while a node holding its tasks is down: app logs reads the
    // tasks of the nodes that are up one by one and names the one left out.
    const logs = await cli(['app', 'logs', 'web', '--lines', '20']);
    expect(logs.code, logs.stderr).toBe(0);
    const shown = new Set([...logs.stdout.matchAll(/ikt-web_app\.\d+\.\w+@(node\d)/g)].map((m) => m[1]));
    expect(shown.size).toBeGreaterThan(0);
    expect(shown.has(victim.n)).toBe(false);
    // app logs prints every line on stdout (the replicas' own stderr included), this note too.
    expect(logs.stdout).toContain(`(replicas on ${victim.n} not shown: the node is down)`);
  });

  it('scales, rolls back to the previous image, and shows replicas in app list', async () => {
    const s = await cli(['app', 'scale', 'web', '2']);
    expect(s.code, s.stderr).toBe(0);
    const rb = await cli(['app', 'rollback', 'web']);
    expect(rb.code, rb.stderr + rb.stdout).toBe(0);
    // The release before the local image: web:2 from the rolling update.
    await expect.poll(() => get(0).trim(), { timeout: 30_000 }).toBe('infrakt-test-web version=v2');
    const list = await json<{ name: string; cluster: { cluster: string; replicas: number } | null }[]>(['app', 'list']);
    expect(list.find((a) => a.name === 'web')?.cluster).toMatchObject({ cluster: 'prod', replicas: 2 });
  });

  it('the API and the dashboard show the cluster, its nodes and the replicas per node', async () => {
    ensureWebBuilt();
    let out = '';
    const child: ChildProcess = spawn(process.execPath, [CLI_BIN, 'serve', '--host', '127.0.0.1', '--port', '0'], {
      cwd: REPO_ROOT,
      env: { ...process.env, INFRAKT_HOME: home, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    try {
      const listening = () => /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
      await waitFor('infrakt serve', () => listening() !== '', 20_000);
      const base = listening();
      const key = readFileSync(join(home, 'api_key'), 'utf8').trim();
      const api = (path: string, init: RequestInit = {}) =>
        fetch(`${base}${path}`, { ...init, headers: { 'X-API-Key': key, 'Content-Type': 'application/json' } });
      const spec = (await (await api('/api/openapi.json')).json()) as { paths: Record<string, unknown> };
      for (const path of [
        '/api/clusters',
        '/api/clusters/{name}',
        '/api/clusters/{name}/destroy',
        '/api/apps/{name}/ps',
        '/api/apps/{name}/scale',
      ]) {
        expect(spec.paths[path], path).toBeDefined();
      }
      // Scale through the API: a job that ends when 3 replicas run healthy.
      const accepted = await api('/api/apps/web/scale', { method: 'POST', body: JSON.stringify({ replicas: 3 }) });
      expect(accepted.status).toBe(202);
      const { jobId } = (await accepted.json()) as { jobId: string };
      await expect
        .poll(async () => ((await (await api(`/api/jobs/${jobId}`)).json()) as { status: string }).status, {
          timeout: 120_000,
          interval: 1000,
        })
        .toBe('succeeded');
      const detail = (await (await api('/api/clusters/prod')).json()) as {
        live: { hostname: string }[];
        apps: { replicas: number }[];
      };
      expect(detail.live.map((n) => n.hostname).sort()).toEqual(['node1', 'node2', 'node3']);
      expect(detail.apps[0]!.replicas).toBe(3);
      const bad = await api('/api/clusters/prod/destroy', {
        method: 'POST',
        body: JSON.stringify({ confirm: 'nope' }),
      });
      expect(bad.status).toBe(400);

      const browser = await launchChromium();
      try {
        const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        await context.addInitScript({ content: `localStorage.setItem('infrakt.apiKey', ${JSON.stringify(key)})` });
        const page = await context.newPage();
        await page.goto(`${base}/clusters`);
        await page.locator('[data-cluster="prod"]').waitFor({ timeout: 30_000 });
        await page.locator('[data-node="node3"]').waitFor({ timeout: 30_000 });
        const perNode = page.locator('[data-cluster-app="web"] [data-per-node]');
        await expect.poll(async () => (await perNode.textContent()) ?? '', { timeout: 30_000 }).toMatch(/node\d: \d/);
        expect(await page.locator('[data-cluster-app="web"] [data-replicas]').textContent()).toBe('3/3');
        const shots = join(REPO_ROOT, 'test-artifacts', 'screenshots');
        mkdirSync(shots, { recursive: true });
        await page.screenshot({ path: join(shots, 'swarm-cluster.png'), fullPage: true });
      } finally {
        await browser.close();
      }
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('removes a worker: drained first, its replicas move, then it leaves the swarm', async () => {
    const worker = stopped === 'node2' ? 'node3' : 'node2';
    const refused = await cli(['cluster', 'remove-node', 'prod', 'node1', '-y']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/is the only manager of 'prod'/);
    const r = await cli(['cluster', 'remove-node', 'prod', worker, '-y', '--json']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(
      lab.nodes
        .find((n) => n.name === worker)!
        .docker(['info', '--format', '{{.Swarm.LocalNodeState}}'])
        .trim(),
    ).toBe('inactive');
    const show = await json<{ nodes: { server: string }[]; live: { hostname: string }[] }>(['cluster', 'show', 'prod']);
    expect(show.nodes.map((n) => n.server)).not.toContain(worker);
    expect(show.live.map((n) => n.hostname)).not.toContain(worker);
    expect(get(0).trim()).toBe('infrakt-test-web version=v2');
  });

  it('refuses to destroy a cluster with apps, then destroys the app and the cluster', async () => {
    const refused = await cli(['cluster', 'destroy', 'prod', '-y']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/still runs 1 app/);
    expect((await cli(['app', 'destroy', 'web', '-y'])).code).toBe(0);
    const r = await cli(['cluster', 'destroy', 'prod', '-y', '--json']);
    expect(r.code, r.stderr).toBe(0);
    for (const node of lab.nodes.filter((n) => n.name !== stopped)) {
      expect(node.docker(['info', '--format', '{{.Swarm.LocalNodeState}}']).trim()).toBe('inactive');
    }
    expect(await json<unknown[]>(['cluster', 'list'])).toEqual([]);
  });

  it("stops the lab; the machine's docker0 is still the same bridge and still runs containers", async () => {
    await lab.stop();
    expect(docker0Index()).toBe(docker0Before);
    expect(machineEngineRuns()).toBe('machine-ok');
  });
});
