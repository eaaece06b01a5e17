// Editing an app end to end on real parts (built CLI, harness sshd, Docker, Caddy; the dashboard in Chromium):
// domains and the www redirect go live at once; limits, restart policy, volumes and the release command are
// pending until the next deploy, then visible in `docker inspect`; a named volume survives a redeploy and a
// rollback; the release command runs in the new release before the switch and a failing one keeps the old
// release serving; bad input changes nothing. In the dashboard, adding a domain on the Settings tab routes it.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../harness/chromium.js';
import { CLI_BIN, ensureWebBuilt, REPO_ROOT } from '../harness/cli.js';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { waitFor } from '../harness/sshd.js';
import { type DeployEnv, DOCKER, deployEnv, docker, get, rand } from './deploy-harness.js';

const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');

/** Status and Location of one request through Caddy (redirects are not followed). */
function head(port: number, host: string, path = '/'): Promise<{ status: number; location: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host }, agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: String(res.headers.location ?? '') }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('app update: routes at once, the rest at the next deploy (built CLI, sshd, Docker, Caddy)', () => {
  let env: DeployEnv;
  const app = `ikt-test-${rand()}`;
  const [a, b] = [`${app}.test`, `alt-${app}.test`];
  const volume = `${app}_data`;
  const container = () => {
    const ids = docker(
      'ps',
      '-q',
      '--filter',
      `label=infrakt.app=${app}`,
      '--filter',
      `label=infrakt.root=${env.host.root}`,
    );
    const list = ids.split('\n').filter(Boolean);
    expect(list).toHaveLength(1);
    return list[0]!;
  };
  const show = async () => JSON.parse((await env.ok(['app', 'show', app, '--json'])).stdout);

  beforeAll(async () => {
    env = await deployEnv();
    await env.ok([
      'app',
      'create',
      '--server',
      env.server,
      '--name',
      app,
      '--image',
      'infrakt-test/web:1',
      '--port',
      '3000',
      '--domain',
      a,
      '--health-path',
      '/health',
    ]);
    await env.ok(['app', 'deploy', app]);
  });

  afterAll(async () => {
    await env?.close();
    try {
      docker('volume', 'rm', volume);
    } catch {
      // never created (an earlier test failed)
    }
  });

  it('domains and the www redirect go live at once; every domain routes to the release', async () => {
    const r = await env.ok(['app', 'update', app, '--domain', a, '--domain', b, '--www-redirect', 'on']);
    expect(r.stdout).toContain('routes: live now (Caddy reloaded)');
    expect((await get(env.httpPort, b)).body).toContain('version=v1');
    expect((await get(env.httpPort, a)).body).toContain('version=v1');
    expect(await head(env.httpPort, `www.${a}`, '/x?y=1')).toEqual({
      // Caddy's `redir … permanent`.
      status: 301,
      location: `http://${a}:${env.httpPort}/x?y=1`,
    });
    expect((await show()).domains).toEqual([a, b]);
    // Nothing else changed, so nothing waits for a deploy.
    expect((await show()).settings.pending).toEqual([]);
  });

  it('bad input is refused and changes nothing', async () => {
    const before = await show();
    for (const args of [
      ['--memory', '12x'],
      ['--cpus', '-1'],
      ['--restart', 'sometimes'],
      ['--volume', '../etc:/x'],
      ['--volume', 'data:relative'],
      ['--domain', 'not a domain'],
      ['--release-command', 'a\nb'],
      ['--memory', '64m', '--port', '70000'],
    ]) {
      const r = await env.cli(['app', 'update', app, ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/error: /);
    }
    expect(await show()).toEqual(before);
  });

  it('limits, restart policy, a named volume and a release command wait for the deploy, then apply', async () => {
    const r = await env.ok([
      'app',
      'update',
      app,
      '--memory',
      '64m',
      '--cpus',
      '0.5',
      '--restart',
      'always',
      '--volume',
      'data:/www/data',
      '--release-command',
      'echo "migrated $APP_VERSION" >> /www/data/m.txt',
    ]);
    expect(r.stdout).toContain('pending');
    const pending = (await show()).settings.pending.join('\n');
    for (const what of ['memory', 'cpus', 'restart', 'volumes', 'release command']) expect(pending).toContain(what);
    // Until then the running release is as it was.
    expect(docker('inspect', '-f', '{{.HostConfig.Memory}}', container())).toBe('0');

    const deployed = await env.ok(['app', 'deploy', app, '--verbose']);
    expect(deployed.stderr).toMatch(/release command/);
    const id = container();
    expect(docker('inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}}', id)).toBe('67108864 500000000');
    expect(docker('inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}', id)).toBe('always');
    expect(docker('inspect', '-f', '{{range .Mounts}}{{.Name}}:{{.Destination}} {{end}}', id).trim()).toBe(
      `${volume}:/www/data`,
    );
    expect((await get(env.httpPort, a, '/data/m.txt')).body).toBe('migrated v1\n');
    expect((await show()).settings.pending).toEqual([]);
  });

  it('the named volume survives a redeploy and a rollback; the release command runs in the new release', async () => {
    await env.ok(['app', 'update', app, '--image', 'infrakt-test/web:2']);
    await env.ok(['app', 'deploy', app]);
    expect((await get(env.httpPort, a)).body).toContain('version=v2');
    expect((await get(env.httpPort, a, '/data/m.txt')).body).toBe('migrated v1\nmigrated v2\n');
    await env.ok(['app', 'rollback', app]);
    expect((await get(env.httpPort, a)).body).toContain('version=v1');
    expect((await get(env.httpPort, b, '/data/m.txt')).body).toBe('migrated v1\nmigrated v2\n');
  });

  it('a failing release command aborts the deploy before the switch: the old release keeps serving', async () => {
    const before = (await show()).currentRelease;
    await env.ok(['app', 'update', app, '--release-command', 'echo checking; exit 3']);
    const r = await env.cli(['app', 'deploy', app]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('the release command exited 3; traffic stays on the previous release');
    expect((await show()).currentRelease).toBe(before);
    expect((await get(env.httpPort, a)).body).toContain('version=v1');
    await env.ok(['app', 'update', app, '--release-command', 'none']);
  });

  describe('in the dashboard (Chromium)', () => {
    let served: { base: string; key: string; child: ChildProcess };
    let browser: Browser;
    let registry: TestRegistry;

    beforeAll(async () => {
      ensureWebBuilt();
      mkdirSync(SHOTS, { recursive: true });
      let out = '';
      const child = spawn(process.execPath, [CLI_BIN, 'serve', '--host', '127.0.0.1', '--port', '0'], {
        cwd: REPO_ROOT,
        env: { ...process.env, INFRAKT_HOME: env.home, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.stderr?.on('data', (d: Buffer) => {
        out += d.toString();
      });
      let base = '';
      await waitFor(
        'infrakt serve to listen',
        () => {
          if (child.exitCode !== null) throw new Error(`infrakt serve exited: ${out}`);
          base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
          return base !== '';
        },
        30_000,
      );
      served = { base, key: readFileSync(join(env.home, 'api_key'), 'utf8').trim(), child };
      registry = await startRegistry(DOCKER);
      browser = await launchChromium();
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      await registry?.stop();
      if (served?.child.exitCode === null) {
        served.child.kill('SIGTERM');
        await new Promise((r) => served.child.once('exit', r));
      }
    });

    it('adds a domain on the Settings tab: the route goes live; a limit shows as pending', async () => {
      const c = `web-${app}.test`;
      // Caddy answers an unknown Host with an empty 200: the app's marker tells a route from none.
      expect((await get(env.httpPort, c)).body).not.toContain('version=');
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
      page.setDefaultTimeout(20_000);
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      try {
        await page.goto(`${served.base}/`);
        await page.getByLabel('API key', { exact: true }).fill(served.key);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Apps' }).first().click();
        await page.getByRole('link', { name: app, exact: true }).first().click();
        await page.getByRole('tab', { name: 'Settings' }).click();
        const domains = page.getByLabel('Domains');
        await expect(domains.inputValue()).resolves.toBe(`${a}\n${b}`);

        // A bad domain is caught in the form; nothing is sent.
        await domains.fill(`${a}\nnot a domain`);
        await page.getByRole('button', { name: 'Save settings' }).click();
        await page.getByText(/Domains not a domain must be a fully qualified host name/).waitFor();

        await domains.fill(`${a}\n${b}\n${c}`);
        await page.getByLabel('Memory limit').fill('96m');
        await page.getByRole('button', { name: 'Save settings' }).click();
        // Routes changed on a deployed app: a job reloads Caddy, shown live.
        await page.getByText(`Update routes of ${app}: done`).waitFor({ timeout: 60_000 });
        await waitFor(
          'the new domain to route',
          async () => (await get(env.httpPort, c)).body.includes('version='),
          20_000,
        );
        expect((await get(env.httpPort, c)).body).toContain('version=v1');
        await page.keyboard.press('Escape');
        // The list re-renders when the app's settings are fetched again after the save: poll it with a deadline.
        const pending = page.getByRole('list', { name: 'Pending changes' });
        await expect.poll(() => pending.textContent(), { timeout: 30_000 }).toMatch(/memory/);
        await page.screenshot({ path: join(SHOTS, 'app-settings.png'), fullPage: true });
        expect((await show()).domains).toEqual([a, b, c]);
        expect((await show()).settings.memory).toBe('96m');
        expect(errors).toEqual([]);
      } finally {
        await page.context().close();
      }
    }, 180_000);

    it('adds a private registry on the server page: a refused login stores nothing; remove logs out', async () => {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
      page.setDefaultTimeout(20_000);
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      try {
        await page.goto(`${served.base}/`);
        await page.getByLabel('API key', { exact: true }).fill(served.key);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Servers' }).first().click();
        await page.getByRole('link', { name: env.server, exact: true }).first().click();
        const form = page.getByRole('form', { name: 'Add a registry' });
        await form.getByLabel('Registry').fill('https://bad/x');
        await form.getByRole('button', { name: 'Log in and add' }).click();
        await page.getByText('Registry must be a host such as').waitFor();

        const add = async (password: string) => {
          await form.getByLabel('Registry').fill(registry.host);
          await form.getByLabel('User name').fill(registry.user);
          await form.getByLabel('Password or token').fill(password);
          await form.getByRole('button', { name: 'Log in and add' }).click();
        };
        await add('not-the-password');
        await page.getByText(`Log ${env.server} in to ${registry.host}: failed`).waitFor({ timeout: 60_000 });
        await page.keyboard.press('Escape');
        await expect(page.locator(`[data-registry="${registry.host}"]`).count()).resolves.toBe(0);

        await add(registry.password);
        await page.getByText(`Log ${env.server} in to ${registry.host}: done`).waitFor({ timeout: 60_000 });
        await page.keyboard.press('Escape');
        await page.locator(`[data-registry="${registry.host}"]`).waitFor();
        const listed = JSON.parse((await env.ok(['registry', 'list', '--json'])).stdout);
        expect(listed).toMatchObject([{ server: env.server, host: registry.host, username: registry.user }]);
        await page.screenshot({ path: join(SHOTS, 'server-registries.png'), fullPage: true });

        await page.getByRole('button', { name: `Remove ${registry.host}` }).click();
        await page.getByText(`Log ${env.server} out of ${registry.host}: done`).waitFor({ timeout: 60_000 });
        await page.keyboard.press('Escape');
        await page.locator(`[data-registry="${registry.host}"]`).waitFor({ state: 'detached' });
        expect(JSON.parse((await env.ok(['registry', 'list', '--json'])).stdout)).toEqual([]);
        expect(errors).toEqual([]);
      } finally {
        await page.context().close();
      }
    }, 180_000);
  });

  it('destroy without --volumes keeps the named volume (its data outlives the app)', async () => {
    await env.ok(['app', 'destroy', app, '--force']);
    expect(docker('volume', 'inspect', '-f', '{{.Name}}', volume)).toBe(volume);
  });
});
