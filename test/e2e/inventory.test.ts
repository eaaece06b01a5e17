// infrakt.yaml end to end with the built CLI: plan (exit 0/2) → apply → re-plan (no changes) → export → plan
// (round trip), live drift, updates, --prune, a failing server chain that leaves the other running, and a
// provider server created (and destroyed) through the fake Hetzner Cloud API. Real sshd, Docker, Caddy.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cleanupHomes, makeInfraktHome, runCli } from '../harness/cli.js';
import {
  docker as dockerRun,
  ensureTestImages,
  requireDocker,
  shouldRunDockerTests,
  TEST_IMAGES,
} from '../harness/docker.js';
import { FakeHetzner } from '../harness/fake-hetzner.js';
import { freePort, getClientKeys, type SshdHost, startSshd, stopAllSshd } from '../harness/sshd.js';
import { removeDir, tempDir } from '../helpers/state.js';
import { cleanupDocker, docker, get } from './deploy-harness.js';

const TOKEN = `${'f1eet'.repeat(12)}abcd`;
const runnable = await shouldRunDockerTests();

interface Proxy {
  tls: 'off';
  httpPort: number;
  httpsPort: number;
  adminAddress: string;
}
const proxyPorts = async (): Promise<Proxy> => ({
  tls: 'off',
  httpPort: await freePort(),
  httpsPort: await freePort(),
  adminAddress: `127.0.0.1:${await freePort()}`,
});

describe.skipIf(!runnable)('inventory: plan / apply / export with real servers', { timeout: 900_000 }, () => {
  const fake = new FakeHetzner({ token: TOKEN, backend: 'sshd' });
  let home: string;
  let dir: string;
  let edge: SshdHost;
  let edgeProxy: Proxy;
  let cloudProxy: Proxy;
  let cloudRoot: string;
  const added: string[] = [];
  const timings: Record<string, number> = {};
  const file = () => join(dir, 'infrakt.yaml');
  const cli = (args: string[], input?: string) =>
    runCli(args, { home, timeoutMs: 600_000, ...(input !== undefined ? { input } : {}) });
  /** The serving container of app web on edge: its limits and whether a named volume is at /data. */
  const webContainer = () => {
    const id = docker('ps', '-q', '--filter', 'label=infrakt.app=web', '--filter', `label=infrakt.root=${edge.root}`)
      .split('\n')
      .filter(Boolean)[0]!;
    const info = JSON.parse(docker('inspect', id))[0] as {
      HostConfig: { Memory: number; NanoCpus: number };
      Mounts: { Type: string; Destination: string }[];
    };
    return {
      memory: info.HostConfig.Memory,
      nanoCpus: info.HostConfig.NanoCpus,
      volumeAtData: info.Mounts.some((m) => m.Type === 'volume' && m.Destination === '/data'),
    };
  };
  const timed = async (label: string, args: string[]) => {
    const t0 = Date.now();
    const r = await cli(args);
    timings[label] = Date.now() - t0;
    return r;
  };

  const inventory = (
    o: {
      webImage?: string;
      greeting?: string;
      route?: boolean;
      broken?: boolean;
      cloudRoute?: boolean;
      webLimits?: { memory?: string; cpus?: number };
    } = {},
  ) => ({
    version: 1,
    servers: {
      edge: {
        host: edge.host,
        port: edge.port,
        key: getClientKeys().ed25519,
        root: edge.root,
        labels: { role: 'edge' },
        proxy: edgeProxy,
        pullPolicy: 'never',
      },
      cloud: {
        provider: { name: 'hc', type: 'cx22', location: 'nbg1', image: 'debian-12' },
        key: getClientKeys().ed25519,
        root: cloudRoot,
        proxy: cloudProxy,
        pullPolicy: 'never',
      },
    },
    apps: {
      web: {
        server: 'edge',
        image: o.webImage ?? TEST_IMAGES.web1,
        port: 3000,
        // Several domains, a named volume and limits: what `app update` sets, declared here.
        domains: ['web.test', 'www.web.test'],
        volumes: ['web-data:/data'],
        limits: o.webLimits ?? { memory: '64m', cpus: 0.5 },
        health: { path: '/health' },
        env: { GREETING: o.greeting ?? 'hello-there', TOKEN: 'secret:web-token' },
      },
      api: {
        server: 'cloud',
        image: TEST_IMAGES.web1,
        port: 3000,
        domains: ['api.test'],
        health: { path: '/health' },
        env: { REDIS_URL: 'secret:cache-url' },
      },
      ...(o.broken
        ? { broken: { server: 'edge', image: 'infrakt-test/missing:1', port: 3000, domains: ['broken.test'] } }
        : {}),
    },
    databases: { cache: { server: 'cloud', type: 'redis', version: '7', secret: 'cache-url' } },
    routes: [
      ...(o.route === false ? [] : [{ server: 'edge', domain: 'static.test', port: 9 }]),
      ...(o.cloudRoute ? [{ server: 'cloud', domain: 'extra.test', port: 9 }] : []),
    ],
  });
  const write = (o: Parameters<typeof inventory>[0] = {}) => writeFileSync(file(), stringify(inventory(o)));

  beforeAll(async () => {
    await requireDocker();
    await ensureTestImages();
    if ((await dockerRun(['image', 'inspect', 'redis:7'], { check: false })).code !== 0) {
      await dockerRun(['tag', TEST_IMAGES.redis, 'redis:7']);
      added.push('redis:7');
    }
    await fake.start();
    home = makeInfraktHome();
    dir = tempDir('ikt-test-inventory-');
    cloudRoot = join(dir, 'cloud-root');
    edge = await startSshd();
    edgeProxy = await proxyPorts();
    cloudProxy = await proxyPorts();
    const p = await cli(['provider', 'add', 'hetzner', '--name', 'hc', '--endpoint', fake.url], TOKEN);
    expect(p.code, p.stderr).toBe(0);
    const s = await cli(['secret', 'set', 'web-token'], 'tok-7f3a9c2e51');
    expect(s.code, s.stderr).toBe(0);
    write();
  }, 300_000);

  afterAll(async () => {
    if (Object.keys(timings).length) console.log(`inventory timings (ms): ${JSON.stringify(timings)}`);
    for (const root of [edge?.root, cloudRoot]) {
      if (!root) continue;
      cleanupDocker(root);
      const pidfile = `${root}/caddy/caddy.pid`;
      if (existsSync(pidfile)) {
        try {
          process.kill(Number(readFileSync(pidfile, 'utf8').trim()), 'SIGTERM');
        } catch {
          // gone
        }
      }
    }
    for (const t of added) {
      const users = docker('ps', '-a', '--format', '{{.Image}}');
      if (!users.split('\n').includes(t)) docker('rmi', t);
    }
    await fake.stop();
    await stopAllSshd();
    cleanupHomes();
    if (dir) removeDir(dir);
  });

  it('plan shows what would be created (exit 2), env as keys only; apply without -y and no terminal changes nothing', async () => {
    const r = await timed('plan-initial', ['plan', '-f', file()]);
    expect(r.code, r.stderr).toBe(2);
    for (const l of [
      '+ server edge',
      '+ server cloud',
      '+ database cache',
      '+ app web',
      '+ app api',
      '+ route static.test',
      'env.GREETING (set)',
    ]) {
      expect(r.stdout).toContain(l);
    }
    expect(r.stdout).toContain('6 to create, 0 to update, 0 to replace, 0 to delete');
    expect(r.stdout).not.toContain('hello-there');
    const asked = await cli(['apply', '-f', file()]);
    expect(asked.code).toBe(7);
    expect(JSON.parse((await cli(['server', 'list', '--json'])).stdout)).toEqual([]);
    expect(fake.servers.size).toBe(0);
  });

  it('apply -y creates everything in dependency order, servers in parallel; the apps serve with their env', async () => {
    const r = await timed('apply-initial', ['apply', '-f', file(), '-y']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/6 done, 0 failed, 0 skipped/);
    const web = await get(edgeProxy.httpPort, 'web.test', '/cgi-bin/env?GREETING,TOKEN');
    expect(web.body).toBe('GREETING=hello-there\nTOKEN=tok-7f3a9c2e51\n');
    expect((await get(edgeProxy.httpPort, 'www.web.test', '/')).body).toContain('version=v1');
    expect(webContainer()).toMatchObject({ memory: 64 * 1024 ** 2, nanoCpus: 500_000_000, volumeAtData: true });
    const api = await get(cloudProxy.httpPort, 'api.test', '/cgi-bin/env?REDIS_URL');
    expect(api.body).toMatch(/^REDIS_URL=redis:\/\/:[A-Za-z0-9_-]{32}@cache:6379/);
    // The database's connection string went into a secret, never onto the terminal.
    expect(r.stdout + r.stderr).not.toMatch(/redis:\/\//);
    expect(fake.servers.size).toBe(1);
    const servers = JSON.parse((await cli(['server', 'list', '--json'])).stdout) as {
      name: string;
      provider: string | null;
    }[];
    expect(servers.map((s) => `${s.name}:${s.provider ?? '-'}`)).toEqual(['cloud:hc', 'edge:-']);
  });

  it('re-running is a no-op: plan exit 0, apply changes nothing and starts no job', async () => {
    const p = await timed('plan-noop', ['plan', '-f', file()]);
    expect(p.code, p.stdout + p.stderr).toBe(0);
    expect(p.stdout).toContain('no changes');
    const jobsBefore = JSON.parse((await cli(['job', 'list', '--json'])).stdout).length;
    const a = await cli(['apply', '-f', file(), '-y']);
    expect(a.code, a.stderr).toBe(0);
    expect(JSON.parse((await cli(['job', 'list', '--json'])).stdout).length).toBe(jobsBefore);
  });

  it('export then plan shows no changes (round trip)', async () => {
    const out = join(dir, 'exported.yaml');
    const e = await cli(['export', '-o', out]);
    expect(e.code, e.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('provider:');
    expect(text).toContain('secret: cache-url');
    expect(text).not.toContain('tok-7f3a9c2e51');
    const p = await cli(['plan', '-f', out]);
    expect(p.code, p.stdout + p.stderr).toBe(0);
  });

  it('live drift: a stopped release is seen by plan and redeployed by apply', async () => {
    const ids = docker('ps', '-q', '--filter', 'label=infrakt.app=web', '--filter', `label=infrakt.root=${edge.root}`)
      .split('\n')
      .filter(Boolean);
    expect(ids.length).toBeGreaterThan(0);
    docker('stop', '--time', '1', ...ids);
    const p = await cli(['plan', '-f', file()]);
    expect(p.code).toBe(2);
    expect(p.stdout).toMatch(/~ app web .*release \d+ is not running on the server/);
    const a = await cli(['apply', '-f', file(), '-y']);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect((await get(edgeProxy.httpPort, 'web.test', '/')).body).toContain('version=v1');
    expect((await cli(['plan', '-f', file()])).code).toBe(0);
  });

  it('updates field by field; a dropped route is a delete that waits for --prune', async () => {
    write({ webImage: TEST_IMAGES.web2, greeting: 'bonjour-ici', route: false, webLimits: { memory: '96m' } });
    const p = await cli(['plan', '-f', file()]);
    expect(p.code).toBe(2);
    expect(p.stdout).toContain(`source ${TEST_IMAGES.web1} → ${TEST_IMAGES.web2}`);
    expect(p.stdout).toContain('limits.memory 64m → 96m');
    expect(p.stdout).toContain('limits.cpus 0.5 → none');
    expect(p.stdout).toContain('env.GREETING (set) → (changed)');
    expect(p.stdout).toMatch(/- route static\.test.*\(needs --prune\)/);
    expect(p.stdout).not.toContain('bonjour-ici');
    const a = await timed('apply-update', ['apply', '-f', file(), '-y']);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(a.stdout).toMatch(/skipped: destructive: run apply with --prune/);
    expect((await get(edgeProxy.httpPort, 'web.test', '/')).body).toContain('version=v2');
    expect((await get(edgeProxy.httpPort, 'web.test', '/cgi-bin/env?GREETING')).body).toBe('GREETING=bonjour-ici\n');
    expect(webContainer()).toMatchObject({ memory: 96 * 1024 ** 2, nanoCpus: 0, volumeAtData: true });
    const routes = () =>
      cli(['proxy', 'domains', 'edge', '--json']).then((r) => JSON.parse(r.stdout) as { domain: string }[]);
    expect((await routes()).map((r) => r.domain)).toContain('static.test');
    const pruned = await cli(['apply', '-f', file(), '-y', '--prune']);
    expect(pruned.code, pruned.stdout + pruned.stderr).toBe(0);
    expect((await routes()).map((r) => r.domain)).not.toContain('static.test');
    expect((await cli(['plan', '-f', file()])).code).toBe(0);
  });

  it("a failing change stops its server's chain; the other server's chain goes on", async () => {
    write({ webImage: TEST_IMAGES.web2, greeting: 'bonjour-ici', route: false, broken: true, cloudRoute: true });
    writeFileSync(join(dir, 'extra.yaml'), '');
    const a = await cli(['apply', '-f', file(), '-y', '--json']);
    expect(a.code).not.toBe(0);
    const out = JSON.parse(a.stdout) as {
      results: { change: { kind: string; name: string; server: string }; status: string; error?: { code: string } }[];
    };
    const status = Object.fromEntries(
      out.results.map((r) => [`${r.change.server}/${r.change.kind}/${r.change.name}`, r.status]),
    );
    expect(status['edge/app/broken']).toBe('failed');
    expect(status['cloud/route/extra.test']).toBe('done');
    expect(out.results.find((r) => r.change.name === 'broken')?.error?.code).toBe('NOT_FOUND');
    // The healthy app was never touched.
    expect((await get(edgeProxy.httpPort, 'web.test', '/')).body).toContain('version=v2');
  });

  it('an empty file with --prune tears it all down, the provider server destroyed at the provider', async () => {
    writeFileSync(file(), 'version: 1\n');
    const p = await cli(['plan', '-f', file()]);
    expect(p.code).toBe(2);
    expect(p.stdout).toMatch(/- server cloud .*destroys the machine at the provider/);
    const a = await timed('apply-teardown', ['apply', '-f', file(), '-y', '--prune']);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(JSON.parse((await cli(['server', 'list', '--json'])).stdout)).toEqual([]);
    expect(fake.servers.size).toBe(0);
    expect(docker('ps', '-aq', '--filter', `label=infrakt.root=${edge.root}`)).toBe('');
  });
});
