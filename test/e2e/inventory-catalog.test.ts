// Catalog installs in infrakt.yaml end to end with the built CLI on a harness server (sshd, real Docker, real
// Caddy), with the test catalog's entry built from local images: apply installs it, re-plan is clean, a version bump
// and an input change upgrade it, a domain change moves it, a failing upgrade (with a domain change) is rolled back
// to the old version and domain, export round-trips without secret inputs, and --prune uninstalls it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { cleanupHomes, makeInfraktHome, REPO_ROOT, runCli } from '../harness/cli.js';
import { ensureTestImages, requireDocker, shouldRunDockerTests } from '../harness/docker.js';
import { freePort, getClientKeys, type SshdHost, startSshd, stopAllSshd } from '../harness/sshd.js';
import { removeDir, tempDir } from '../helpers/state.js';
import { cleanupDocker, docker, get, rand, removeAppImages } from './deploy-harness.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'catalog');
const CACHE_PW = `pw-${rand()}-from-secret`;
const runnable = await shouldRunDockerTests();

describe.skipIf(!runnable)('inventory: catalog installs (built CLI, sshd, Docker, Caddy)', { timeout: 900_000 }, () => {
  let home: string;
  let dir: string;
  let host: SshdHost;
  const app = `shop-${rand()}`;
  const proxy = { tls: 'off' as const, httpPort: 0, httpsPort: 0, adminAddress: '' };
  const timings: Record<string, number> = {};
  const file = () => join(dir, 'infrakt.yaml');
  const cli = (args: string[], input?: string) =>
    runCli(args, { home, timeoutMs: 600_000, ...(input !== undefined ? { input } : {}) });
  const withDir = (args: string[]) => [...args, '--catalog-dir', FIXTURES];
  const timed = async (label: string, args: string[]) => {
    const t0 = Date.now();
    const r = await cli(withDir(args));
    timings[label] = Date.now() - t0;
    return r;
  };
  const write = (o: { version?: string; greeting?: string; domain?: string; catalog?: boolean } = {}) =>
    writeFileSync(
      file(),
      stringify({
        version: 1,
        servers: {
          edge: {
            host: host.host,
            port: host.port,
            key: getClientKeys().ed25519,
            root: host.root,
            proxy,
            pullPolicy: 'never',
          },
        },
        ...(o.catalog === false
          ? {}
          : {
              catalog: {
                [app]: {
                  server: 'edge',
                  entry: 'webapp',
                  version: o.version ?? '1',
                  domain: o.domain ?? `${app}.test`,
                  inputs: { greeting: o.greeting ?? 'hi-from-file', cache_password: 'secret:shop-cache' },
                },
              },
            }),
      }),
    );
  const installed = async () =>
    (
      JSON.parse((await cli(['catalog', 'installed', '--json'])).stdout) as {
        name: string;
        version: string;
        domain: string | null;
      }[]
    ).find((r) => r.name === app);
  const redisPing = () => {
    const id = docker('ps', '-q', '--filter', `label=com.docker.compose.project=${app}-svc`).split('\n')[0]!;
    return docker('exec', '-e', `REDISCLI_AUTH=${CACHE_PW}`, id, 'redis-cli', 'ping');
  };

  beforeAll(async () => {
    await requireDocker();
    await ensureTestImages();
    home = makeInfraktHome();
    dir = tempDir('ikt-test-inv-catalog-');
    host = await startSshd();
    proxy.httpPort = await freePort();
    proxy.httpsPort = await freePort();
    proxy.adminAddress = `127.0.0.1:${await freePort()}`;
    const s = await cli(['secret', 'set', 'shop-cache'], CACHE_PW);
    expect(s.code, s.stderr).toBe(0);
    write();
  }, 300_000);

  afterAll(async () => {
    if (Object.keys(timings).length) console.log(`inventory catalog timings (ms): ${JSON.stringify(timings)}`);
    if (host) {
      cleanupDocker(host.root);
      const pidfile = `${host.root}/caddy/caddy.pid`;
      if (existsSync(pidfile)) {
        try {
          process.kill(Number(readFileSync(pidfile, 'utf8').trim()), 'SIGTERM');
        } catch {
          // gone
        }
      }
    }
    removeAppImages(app);
    await stopAllSshd();
    cleanupHomes();
    if (dir) removeDir(dir);
  });

  it('plan shows the install (secret inputs as keys only); without --catalog-dir the entry is an error at its line', async () => {
    const r = await timed('plan-initial', ['plan', '-f', file()]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toMatch(
      new RegExp(
        `\\+ catalog ${app} +entry webapp 1; domain ${app}\\.test; inputs\\.greeting hi-from-file; inputs\\.cache_password \\(set\\)`,
      ),
    );
    expect(r.stdout).not.toContain(CACHE_PW);
    const missing = await cli(['plan', '-f', file()]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      new RegExp(`infrakt\\.yaml:\\d+:\\d+: catalog\\.${app}\\.entry: catalog entry 'webapp' not found`),
    );
  });

  it('apply installs the entry as the app NAME: served through Caddy with the file inputs and the secret', async () => {
    const r = await timed('apply-install', ['apply', '-f', file(), '-y']);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`✓ edge: \\+ catalog ${app} — webapp 1 installed, release 1`));
    expect(r.stdout + r.stderr).not.toContain(CACHE_PW);
    expect((await get(proxy.httpPort, `${app}.test`)).body).toContain('version=v1');
    expect((await get(proxy.httpPort, `${app}.test`, '/cgi-bin/env?APP_MESSAGE')).body).toContain(
      'APP_MESSAGE=hi-from-file',
    );
    expect(redisPing()).toBe('PONG');
    expect(await installed()).toMatchObject({ version: '1' });
  });

  it('re-plan shows no changes (the install is not a plain compose app to delete); apply starts no job', async () => {
    const p = await timed('plan-noop', ['plan', '-f', file()]);
    expect(p.code, p.stdout + p.stderr).toBe(0);
    expect(p.stdout).toContain('no changes');
    const jobs = async () => JSON.parse((await cli(['job', 'list', '--json'])).stdout).length;
    const before = await jobs();
    expect((await cli(withDir(['apply', '-f', file(), '-y']))).code).toBe(0);
    expect(await jobs()).toBe(before);
  });

  it('export writes it under catalog: with entry, version, domain and non-secret inputs only; plan on it is clean', async () => {
    const out = join(dir, 'exported.yaml');
    const e = await cli(withDir(['export', '-o', out]));
    expect(e.code, e.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toMatch(
      new RegExp(
        `catalog:\\n  ${app}:\\n    server: edge\\n    entry: webapp\\n    version: "1"\\n    domain: ${app}\\.test\\n    inputs:\\n      greeting: hi-from-file\\n`,
      ),
    );
    expect(text).not.toMatch(/^apps:/m);
    expect(text).not.toContain('cache_password');
    expect(text).not.toContain(CACHE_PW);
    const p = await cli(withDir(['plan', '-f', out]));
    expect(p.code, p.stdout + p.stderr).toBe(0);
  });

  it('a version bump and a changed input are one update through the upgrade path; the secret is kept', async () => {
    write({ version: '2', greeting: 'bonjour' });
    const p = await cli(withDir(['plan', '-f', file()]));
    expect(p.code).toBe(2);
    expect(p.stdout).toMatch(
      new RegExp(`~ catalog ${app} +version 1 → 2; inputs\\.greeting hi-from-file → bonjour; upgrade`),
    );
    const a = await timed('apply-upgrade', ['apply', '-f', file(), '-y']);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(a.stdout).toMatch(/webapp 1 → 2, release 2/);
    expect((await get(proxy.httpPort, `${app}.test`)).body).toContain('version=v2');
    expect((await get(proxy.httpPort, `${app}.test`, '/cgi-bin/env?APP_MESSAGE')).body).toContain(
      'APP_MESSAGE=bonjour',
    );
    expect(redisPing()).toBe('PONG');
    expect(await installed()).toMatchObject({ version: '2' });
    expect((await cli(withDir(['plan', '-f', file()]))).code).toBe(0);
  });

  it('a domain change re-renders and moves the route: the new domain serves, the old one is gone', async () => {
    write({ version: '2', greeting: 'bonjour', domain: `${app}-new.test` });
    const p = await cli(withDir(['plan', '-f', file()]));
    expect(p.stdout).toContain(`domain ${app}.test → ${app}-new.test`);
    const a = await timed('apply-domain', ['apply', '-f', file(), '-y']);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect((await get(proxy.httpPort, `${app}-new.test`)).body).toContain('version=v2');
    expect((await get(proxy.httpPort, `${app}.test`)).body).not.toContain('version=');
    expect(readFileSync(`${host.root}/caddy/Caddyfile`, 'utf8')).not.toContain(`${app}.test `);
    expect(await installed()).toMatchObject({ version: '2', domain: `${app}-new.test` });
    expect((await cli(withDir(['plan', '-f', file()]))).code).toBe(0);
  });

  it('an upgrade whose new version fails its health check is rolled back with its domain; the plan still wants it', async () => {
    write({ version: '3', greeting: 'bonjour', domain: `${app}-v3.test` });
    const a = await timed('apply-failed-upgrade', ['apply', '-f', file(), '-y']);
    expect(a.code).not.toBe(0);
    expect(a.stdout).toMatch(/upgrade of .* to webapp 3 failed: .*rolled back/);
    expect((await get(proxy.httpPort, `${app}-new.test`)).body).toContain('version=v2');
    expect(await installed()).toMatchObject({ version: '2', domain: `${app}-new.test` });
    expect(readFileSync(`${host.root}/caddy/Caddyfile`, 'utf8')).not.toContain(`${app}-v3.test`);
    const p = await cli(withDir(['plan', '-f', file()]));
    expect(p.code).toBe(2);
    expect(p.stdout).toMatch(/version 2 → 3; domain .*-new\.test → .*-v3\.test/);
  });

  it('an install dropped from the file is a delete that waits for --prune', async () => {
    write({ catalog: false });
    const p = await cli(withDir(['plan', '-f', file()]));
    expect(p.code).toBe(2);
    expect(p.stdout).toMatch(new RegExp(`- catalog ${app} +entry webapp 2; destroys the app .*\\(needs --prune\\)`));
    const a = await timed('apply-prune', ['apply', '-f', file(), '-y', '--prune']);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(docker('ps', '-aq', '--filter', `label=infrakt.app=${app}`)).toBe('');
    expect(await installed()).toBeUndefined();
    expect((await cli(withDir(['plan', '-f', file()]))).code).toBe(0);
  });
});
