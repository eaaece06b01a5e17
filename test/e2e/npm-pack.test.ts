// Distribution: `npm pack` of this checkout, installed globally from the tarball into a clean prefix (npm's
// cache from `npm ci` serves the dependencies: --offline), runs `infrakt` with the dashboard included:
// --version, a command on fresh state, and `infrakt serve` answering the dashboard and the API on loopback.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCliBuilt, REPO_ROOT } from '../harness/cli.js';
import { waitFor } from '../harness/sshd.js';
import { removeDir, tempDir } from '../helpers/state.js';

describe('npm pack → npm install -g → infrakt', () => {
  let dir: string;
  let bin: string;
  let serve: ChildProcess | undefined;
  const env = () => ({ ...process.env, INFRAKT_HOME: join(dir, 'home'), NO_COLOR: '1' });

  beforeAll(() => {
    ensureCliBuilt();
    dir = tempDir();
    const version = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version as string;
    execFileSync('npm', ['pack', '--pack-destination', dir], { cwd: REPO_ROOT, stdio: 'ignore' });
    const tarball = join(dir, `infrakt-${version}.tgz`);
    expect(existsSync(tarball)).toBe(true);
    // A clean directory and prefix: nothing of the checkout is reachable from there. Dependencies come from
    // npm's cache (filled by `npm ci`), and native modules compile here: no prebuilt binary is fetched from
    // anywhere (the network rule), which is also what the install takes most of its time for (~1.5 min CPU).
    execFileSync(
      'npm',
      ['install', '-g', '--prefix', join(dir, 'prefix'), '--offline', '--no-audit', '--no-fund', tarball],
      { cwd: dir, stdio: 'ignore', timeout: 900_000, env: { ...process.env, npm_config_build_from_source: 'true' } },
    );
    bin = join(dir, 'prefix', 'bin', 'infrakt');
  }, 960_000);

  afterAll(async () => {
    if (serve && serve.exitCode === null) {
      serve.kill('SIGTERM');
      await new Promise((r) => serve?.once('exit', r));
    }
    if (dir) removeDir(dir);
  });

  it('carries the bundle and the built dashboard, not the sources', () => {
    const pkg = join(dir, 'prefix', 'lib', 'node_modules', 'infrakt');
    expect(existsSync(join(pkg, 'dist', 'cli.js'))).toBe(true);
    expect(existsSync(join(pkg, 'dist', 'web', 'index.html'))).toBe(true);
    expect(existsSync(join(pkg, 'src'))).toBe(false);
    expect(readdirSync(join(pkg, 'catalog')).length).toBeGreaterThan(0);
  });

  it('runs: --version, a command on fresh state, and serve with the dashboard', async () => {
    const version = execFileSync(bin, ['--version'], { cwd: dir, env: env() }).toString().trim();
    expect(version).toBe(JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version);
    const list = execFileSync(bin, ['server', 'list', '--json'], { cwd: dir, env: env() }).toString();
    expect(JSON.parse(list)).toEqual([]);

    let out = '';
    serve = spawn(bin, ['serve', '--host', '127.0.0.1', '--port', '0'], { cwd: dir, env: env() });
    serve.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    serve.stderr?.on('data', (b: Buffer) => {
      out += b.toString();
    });
    let base = '';
    await waitFor(
      'infrakt serve to listen',
      () => {
        base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
        return base !== '';
      },
      30_000,
    );
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    expect((await fetch(`${base}/api/health`)).status).toBe(200);
    expect((await fetch(`${base}/api/openapi.json`)).status).toBe(200);
  });
});
