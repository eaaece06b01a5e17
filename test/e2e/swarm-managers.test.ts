// A cluster of three managers end to end, through the built CLI, on a lab of its own (three network namespaces,
// each with its own dockerd and OpenSSH sshd: test/harness/swarm-nodes.ts): created with the manager token on
// stdin only; then the engine of node1 (the leader, and the manager infrakt asks first) is stopped, and
// `cluster show`, a rolling deploy and `app ps` still work through another manager.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupHomes, makeInfraktHome, runCli } from '../harness/cli.js';
import { type SwarmLab, startSwarmLab, swarmLabAvailable } from '../harness/swarm-nodes.js';

const WEB1 = '127.0.0.1:5000/ikt-test/web:1';
const WEB2 = '127.0.0.1:5000/ikt-test/web:2';
const CADDY = '127.0.0.1:5000/ikt-test/caddy:2';
const DOMAIN = 'web.ha.test';

let lab: SwarmLab;
let home: string;
const cli = (args: string[], timeoutMs = 300_000) => runCli(args, { home, timeoutMs });
const json = async <T>(args: string[]): Promise<T> => {
  const r = await cli([...args, '--json']);
  if (r.code !== 0) throw new Error(`infrakt ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  return JSON.parse(r.stdout) as T;
};

/** One HTTP request to a node's edge proxy, from inside that node's namespace. */
function get(nodeIdx: number, host = DOMAIN, path = '/'): string {
  const node = lab.nodes[nodeIdx]!;
  return lab
    .inNode(node, `wget -q -T 5 -O - --header 'Host: ${host}' 'http://${node.ip}:80${path}' 2>&1 || echo "FAILED $?"`)
    .trim();
}

type Detail = {
  manager: string | null;
  passedOver: { server: string; error: string }[];
  live: { hostname: string; status: string; managerStatus: string }[] | null;
  error: string | null;
};
type Job = { id: string; status: string; steps: { name: string; detail: string | null }[] };

const available = swarmLabAvailable();

describe.skipIf(!available)('swarm cluster with three managers', () => {
  beforeAll(async () => {
    const t0 = Date.now();
    lab = await startSwarmLab(3);
    for (const [image, as] of [
      ['infrakt-test/web:1', WEB1],
      ['infrakt-test/web:2', WEB2],
      ['infrakt-test/caddy:2', CADDY],
    ] as const) {
      lab.loadImage(image, as);
    }
    console.log(`lab: 3 nodes with images after ${Date.now() - t0} ms`);
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

  it('refuses two managers (no majority survives a loss), creating nothing', async () => {
    const r = await cli(['cluster', 'create', 'two', '--manager', 'node1', '--managers', 'node2']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/odd number of managers/);
    expect(lab.nodes[0]!.docker(['info', '--format', '{{.Swarm.LocalNodeState}}']).trim()).toBe('inactive');
  });

  it('creates the cluster with three managers; the manager token never reaches the job log or the state', async () => {
    const t0 = Date.now();
    const r = await cli([
      'cluster',
      'create',
      'ha',
      '--manager',
      'node1',
      '--managers',
      'node2,node3',
      '--proxy-image',
      CADDY,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    console.log(`cluster create with 3 managers: ${Date.now() - t0} ms`);
    const job = JSON.parse(r.stdout) as Job;
    expect(job.steps.map((s) => s.name)).toContain('join node3 as manager');
    const token = lab.nodes[0]!.docker(['swarm', 'join-token', '--quiet', 'manager']).trim();
    expect(token).toMatch(/^SWMTKN-/);
    expect((await cli(['job', 'logs', job.id])).stdout).not.toContain(token);
    expect((await cli(['job', 'show', job.id, '--json'])).stdout).not.toContain(token);
    expect(readFileSync(join(home, 'infrakt.db')).includes(Buffer.from(token))).toBe(false);
    const managers = () =>
      lab.nodes[0]!.docker(['node', 'ls', '--format', '{{.Hostname}} {{.ManagerStatus}}']).trim().split('\n').sort();
    await expect
      .poll(managers, { timeout: 30_000, interval: 500 })
      .toEqual(['node1 Leader', 'node2 Reachable', 'node3 Reachable']);
  });

  it('deploys an app with 3 replicas, served by the edge of every node', async () => {
    const created = await cli([
      'app',
      'create',
      '--cluster',
      'ha',
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
      '--health-path',
      '/health',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const r = await cli(['app', 'deploy', 'web']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    for (const i of [1, 2]) {
      await expect.poll(() => get(i), { timeout: 60_000, interval: 500 }).toBe('infrakt-test-web version=v1');
    }
  });

  it('deploys a compose app: the routed service replicated, the other service as the file says', async () => {
    const file = join(home, 'shop.yml');
    writeFileSync(
      file,
      [
        'services:',
        '  web:',
        `    image: ${WEB1}`,
        '    expose: [3000]',
        '    environment:',
        '      SHOW_ENV: GREETING,SIDE',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a compose reference to the app's variable
        '      SIDE: "side via ${SIDE_HOST}"',
        '  side:',
        `    image: ${WEB2}`,
        '',
      ].join('\n'),
    );
    const created = await cli([
      'app',
      'create',
      '--cluster',
      'ha',
      '--name',
      'shop',
      '--compose-file',
      file,
      '--port',
      '3000',
      '--domain',
      'shop.ha.test',
      '--replicas',
      '2',
      '--health-path',
      '/health',
    ]);
    expect(created.code, created.stderr).toBe(0);
    // A `$` in a value reaches the container as is (stack deploy interpolates like compose).
    expect((await cli(['env', 'set', 'shop', 'GREETING=hello $world', 'SIDE_HOST=side'])).code).toBe(0);
    const t0 = Date.now();
    const r = await cli(['app', 'deploy', 'shop']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    console.log(`compose app deploy, 2 replicas + 1 other service: ${Date.now() - t0} ms`);
    await expect
      .poll(() => get(1, 'shop.ha.test'), { timeout: 60_000, interval: 500 })
      .toBe('infrakt-test-web version=v1');
    // Each node's edge reaches the service over the overlay, which converges on its own time: poll node 2 too.
    await expect
      .poll(() => get(2, 'shop.ha.test', '/cgi-bin/env?GREETING,SIDE').split('\n').sort(), {
        timeout: 60_000,
        interval: 500,
      })
      .toEqual(['GREETING=hello $world', 'SIDE=side via side']);
    // The other service is not followed by the deploy: it comes up on its own.
    const services = () =>
      lab.nodes[1]!.docker([
        'service',
        'ls',
        '--filter',
        'label=com.docker.stack.namespace=ikt-shop',
        '--format',
        '{{.Name}} {{.Replicas}}',
      ])
        .trim()
        .split('\n')
        .sort();
    await expect.poll(services, { timeout: 60_000, interval: 1000 }).toEqual(['ikt-shop_app 2/2', 'ikt-shop_side 1/1']);
    // The routed service keeps its compose name as an alias on the stack's network.
    const aliases = lab.nodes[1]!.docker([
      'service',
      'inspect',
      '--format',
      '{{json .Spec.TaskTemplate.Networks}}',
      'ikt-shop_app',
    ]);
    expect(aliases).toContain('"web"');
  });

  it("node1's engine stops: cluster show answers through another manager and marks node1 unreachable", async () => {
    await lab.nodes[0]!.stopEngine();
    // Right away: node1 was the leader, so this show may land in the election; it waits for a leader (up to 30 s).
    const t0 = Date.now();
    const first = await json<Detail>(['cluster', 'show', 'ha']);
    console.log(`first cluster show after the leader's engine stopped: ${Date.now() - t0} ms, via ${first.manager}`);
    expect(first.error).toBeNull();
    expect(['node2', 'node3']).toContain(first.manager);
    // Swarm marks the lost manager unreachable once its peers notice.
    await expect
      .poll(
        async () => {
          const live = (await json<Detail>(['cluster', 'show', 'ha'])).live ?? [];
          return live.find((n) => n.hostname === 'node1')?.managerStatus;
        },
        { timeout: 90_000, interval: 1000 },
      )
      .toBe('Unreachable');
    const show = await json<Detail>(['cluster', 'show', 'ha']);
    expect(['node2', 'node3']).toContain(show.manager);
    expect(show.passedOver.map((p) => p.server)).toEqual(['node1']);
    expect(show.passedOver[0]!.error).toMatch(/Docker engine not answering/);
    const byHost = new Map(show.live!.map((n) => [n.hostname, n]));
    expect(byHost.get('node1')).toMatchObject({ managerStatus: 'Unreachable' });
    expect(['node2', 'node3'].map((h) => byHost.get(h)!.managerStatus).sort()).toEqual(['Leader', 'Reachable']);
    const text = await cli(['cluster', 'show', 'ha']);
    expect(text.stdout).toMatch(/passed over node1: Docker engine not answering/);
    expect(text.stdout).toMatch(/manager \(unreachable\)/);
    expect(text.stdout).toMatch(/manager \(leader\)/);
  });

  it('a rolling deploy and app ps still work, through the first manager that can act', async () => {
    expect((await cli(['app', 'update', 'web', '--image', WEB2])).code).toBe(0);
    const t0 = Date.now();
    const r = await cli(['app', 'deploy', 'web', '--json']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    console.log(`deploy with node1 down: ${Date.now() - t0} ms`);
    const job = JSON.parse(r.stdout) as Job;
    expect(job.status).toBe('succeeded');
    expect(job.steps.find((s) => s.name === 'connect to a manager')?.detail).toMatch(
      /^node2 \(.+\), leader node[23]; passed over node1$/,
    );
    for (const i of [1, 2]) {
      await expect.poll(() => get(i), { timeout: 60_000, interval: 500 }).toBe('infrakt-test-web version=v2');
    }
    const ps = await json<{ running: number; tasks: { node: string; desiredState: string; currentState: string }[] }>([
      'app',
      'ps',
      'web',
    ]);
    expect(ps.running).toBe(3);
    const nodes = new Set(
      ps.tasks.filter((t) => t.desiredState === 'Running' && t.currentState.startsWith('Running')).map((t) => t.node),
    );
    expect(nodes.has('node1')).toBe(false);
  });

  it('destroys the app and the cluster; node1, unreachable, is named', async () => {
    expect((await cli(['app', 'destroy', 'web', '-y'])).code).toBe(0);
    expect((await cli(['app', 'destroy', 'shop', '-y'])).code).toBe(0);
    const { result } = await json<{ result: { left: string[]; unreachable: string[] } }>([
      'cluster',
      'destroy',
      'ha',
      '-y',
    ]);
    expect(result.left.sort()).toEqual(['node2', 'node3']);
    expect(result.unreachable).toEqual(['node1']);
    for (const node of lab.nodes.slice(1)) {
      expect(node.docker(['info', '--format', '{{.Swarm.LocalNodeState}}']).trim()).toBe('inactive');
    }
    expect(await json<unknown[]>(['cluster', 'list'])).toEqual([]);
  });
});
