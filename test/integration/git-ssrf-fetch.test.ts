// Git SSRF on real parts (issue 11, items 1 and 2): the real git client against HTTPS git servers on
// loopback. The fetch command infrakt builds must connect to the address the SSRF check accepted (not to
// whatever the name resolves to on the server), must not follow redirects, and a URL that the WHATWG
// parser and git read differently must never be accepted. No traffic leaves the machine: names are
// `localhost`, addresses 127.0.0.0/8, and the one hostile URL naming a public address goes through a
// CONNECT proxy that only tunnels to loopback.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cmd, exec, render } from '../../src/core/cmd/index.js';
import { type GitPin, syncBranch } from '../../src/core/commands/git.js';
import { gitUrlSchema } from '../../src/core/schemas/app.js';
import { assertPublicGitUrl } from '../../src/services/shared/ssrf.js';
import {
  type GitTls,
  gitClientEnv,
  type LoopbackServer,
  makeBareRepo,
  makeTls,
  removeDirs,
  startConnectProxy,
  startGitHttps,
  startRedirectHttps,
} from '../harness/git-https.js';

let tls: GitTls;
let real: { root: string };
let decoy: { root: string };
let home: string;
let servers: LoopbackServer[] = [];
/** The repository the check accepted: 127.0.0.2. */
let good: LoopbackServer;
/** What `localhost` resolves to on this "server" at fetch time: 127.0.0.1, same port, other content. */
let rebound: LoopbackServer;

beforeAll(async () => {
  tls = makeTls();
  real = makeBareRepo('real');
  decoy = makeBareRepo('decoy');
  home = mkdtempSync(join(tmpdir(), 'ikt-test-githome-'));
  // Same port on two loopback addresses: the name decides which one git talks to.
  for (let attempt = 0; ; attempt++) {
    good = await startGitHttps(tls, real.root, '127.0.0.2');
    try {
      rebound = await startGitHttps(tls, decoy.root, '127.0.0.1', good.port);
      break;
    } catch (e) {
      await good.close();
      if (attempt >= 5) throw e;
    }
  }
  servers = [good, rebound];
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  removeDirs(tls.dir, real.root, decoy.root, home);
});

// Asynchronous: the git servers live in this process and must keep answering while git runs.
function run(cmd: Cmd): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', render(cmd)], { env: gitClientEnv(tls, home), timeout: 60_000 });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

const checkout = () => join(mkdtempSync(join(home, 'co-')), 'src');
const marker = (dir: string) => readFileSync(join(dir, 'marker.txt'), 'utf8');

describe('a fetch pinned to the checked address (DNS rebinding)', () => {
  it('control: unpinned, the name reaches what it resolves to now (the rebound server)', async () => {
    const dir = checkout();
    const r = await run(syncBranch(`https://localhost:${good.port}/repo.git`, 'main', dir));
    expect(r.code, r.out).toBe(0);
    expect(marker(dir)).toBe('decoy');
  });

  it('clone and the next fetch go to the pinned address only', async () => {
    const pin: GitPin = { host: 'localhost', port: good.port, addresses: ['127.0.0.2'] };
    const dir = checkout();
    const before = rebound.requests.length;
    const first = await run(syncBranch(`https://localhost:${good.port}/repo.git`, 'main', dir, pin));
    expect(first.code, first.out).toBe(0);
    expect(marker(dir)).toBe('real');
    // Second deploy: the checkout exists, so this is the fetch path, pinned as well.
    const served = good.requests.length;
    const second = await run(syncBranch(`https://localhost:${good.port}/repo.git`, 'main', dir, pin));
    expect(second.code, second.out).toBe(0);
    expect(good.requests.length).toBeGreaterThan(served);
    expect(rebound.requests.length).toBe(before);
  });
});

describe('redirects', () => {
  it('an https redirect to a loopback address is not followed', async () => {
    const redirect = await startRedirectHttps(tls, '127.0.0.2', `https://127.0.0.1:${rebound.port}`);
    servers.push(redirect);
    const before = rebound.requests.length;
    const dir = checkout();
    const r = await run(syncBranch(`https://127.0.0.2:${redirect.port}/repo.git`, 'main', dir));
    expect(r.code).not.toBe(0);
    expect(redirect.requests.length).toBeGreaterThan(0);
    expect(rebound.requests.length).toBe(before);
    expect(existsSync(join(dir, 'marker.txt'))).toBe(false);
  });
});

describe('URLs that git and the WHATWG parser read differently', () => {
  it.each([
    ['a public address before a backslash', (p: number) => `https://8.8.8.8\\@127.0.0.2:${p}/repo.git`],
    ['a public name before a backslash', (p: number) => `https://github.com\\@127.0.0.2:${p}/repo.git`],
  ])('%s: git goes to the address after "@", so infrakt refuses the URL', async (_why, url) => {
    const hostile = url(good.port);
    // What git really does with it (through a proxy that only tunnels to loopback, so nothing leaves).
    const proxy = await startConnectProxy();
    servers.push(proxy);
    const dir = checkout();
    const r = await run(
      exec('git', '-c', `http.proxy=http://127.0.0.1:${proxy.port}`, 'clone', '-q', '--', hostile, dir),
    );
    expect(proxy.requests.map((q) => q.url)).toEqual([`127.0.0.2:${good.port}`]);
    expect(r.code, r.out).toBe(0);
    expect(marker(dir)).toBe('real');
    // ... and infrakt: refused by the schema (CLI and API) and by the SSRF check (create and deploy).
    expect(gitUrlSchema.safeParse(hostile).success).toBe(false);
    await expect(assertPublicGitUrl(hostile, { resolve: async () => ['140.82.112.3'] })).rejects.toMatchObject({
      code: 'VALIDATION',
    });
  });
});
