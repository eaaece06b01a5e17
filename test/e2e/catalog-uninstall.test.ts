// `catalog uninstall` end to end on a real systemd VPS (the fresh-VPS container over SSH) with the built CLI,
// `infrakt serve` and Chromium: the built-in node-exporter installed and uninstalled through the CLI (package,
// service and port gone) and on a server that had it before (package, settings file and service stay as they
// were, also after a second install), an entry without uninstall.sh refused before anything runs, a failing uninstall.sh
// keeping the record and naming its exit code (CLI and API), then the removal through the API and through the
// dashboard's Remove button, each time checked on the server and in `catalog installed`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../harness/chromium.js';
import { cleanupHomes, ensureCliBuilt, ensureWebBuilt, makeInfraktHome, REPO_ROOT, runCli } from '../harness/cli.js';
import { type Served, startServe } from '../harness/serve.js';
import { getClientKeys } from '../harness/sshd.js';
import { startVps, type Vps } from '../harness/vps/start-vps.js';
import { shouldRunVpsTests } from '../harness/vps/vps-server.js';

const runIt = await shouldRunVpsTests();
const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'catalog');
const UNDO = join(REPO_ROOT, 'test', 'fixtures', 'catalog-uninstall');
const dirs = ['--catalog-dir', FIXTURES, '--catalog-dir', UNDO];
const rand = () => Math.random().toString(36).slice(2, 8);
const TOKEN = `tok${rand()}${rand()}secret`;

interface Installed {
  name: string;
  entry: string;
  kind: string;
  server: string;
}
interface JobView {
  id: string;
  status: string;
  error: { message: string; details?: { exitCode?: number } } | null;
  steps: { name: string; status: string; exitCode?: number | null }[];
}

describe.skipIf(!runIt)('catalog uninstall (built CLI, API, dashboard, systemd VPS)', { timeout: 600_000 }, () => {
  let vps: Vps;
  let home: string;
  let served: Served;
  let browser: Browser | undefined;
  let page: Page | undefined;
  const marker = `u${rand()}`;
  const timings: Record<string, number> = {};
  const cli = async (label: string, args: string[], extra: string[] = dirs) => {
    const t0 = Date.now();
    const r = await runCli([...args, ...extra], { home, timeoutMs: 300_000 });
    timings[label] = Date.now() - t0;
    return r;
  };
  const onVps = async (script: string) => (await vps.sh(script)).stdout.trim();
  const installed = async () =>
    (JSON.parse((await runCli(['catalog', 'installed', '--json'], { home })).stdout) as Installed[]).map(
      (i) => `${i.kind}:${i.name}`,
    );
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${served.base}${path}`, { ...init, headers: { 'X-API-Key': served.key, ...(init.headers ?? {}) } });
  // Polls the job every 200 ms until it ends (deadline 2 min).
  const finished = async (jobId: string): Promise<JobView> => {
    const until = Date.now() + 120_000;
    for (;;) {
      const job = (await (await api(`/api/jobs/${jobId}`)).json()) as JobView;
      if (job.status !== 'queued' && job.status !== 'running') return job;
      if (Date.now() > until) throw new Error(`job ${jobId} still ${job.status} after 2 min`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const jobLog = async (jobId: string) =>
    JSON.stringify(await (await api(`/api/jobs/${jobId}/logs?limit=5000`)).json());
  const installUndo = async (m: string) => {
    const r = await cli(`install-${m}`, [
      'catalog',
      'install',
      'hostundo',
      '--server',
      'vps',
      '--set',
      `marker=${m}`,
      '--set',
      `token=${TOKEN}`,
      '--yes',
    ]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(await onVps(`cat /var/tmp/ikt-hostundo-${m}.conf`)).toBe('installed');
  };

  beforeAll(async () => {
    ensureCliBuilt();
    ensureWebBuilt();
    const key = getClientKeys().ed25519;
    vps = await startVps({ publicKey: readFileSync(`${key}.pub`, 'utf8') });
    home = makeInfraktHome();
    const add = await cli('server-add', ['server', 'add', '--name', 'vps', '--host', vps.ip, '--key', key], []);
    expect(add.code, add.stderr).toBe(0);
    served = await startServe(home, { args: ['--no-watch', ...dirs] });
  }, 240_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && page)
      await page.screenshot({ path: join(SHOTS, 'failed-catalog-uninstall.png'), fullPage: true }).catch(() => {});
  });

  afterAll(async () => {
    if (Object.keys(timings).length) console.log(`catalog uninstall timings (ms): ${JSON.stringify(timings)}`);
    await browser?.close();
    await served?.stop();
    await vps?.stop();
    cleanupHomes();
  }, 120_000);

  it('the built-in node-exporter: installed, then uninstalled through the CLI (package, service, port gone)', async () => {
    const inst = await cli('install-node-exporter', ['catalog', 'install', 'node-exporter', '--server', 'vps'], []);
    expect(inst.code, inst.stderr + inst.stdout).toBe(0);
    const pkg = 'dpkg -s prometheus-node-exporter 2>/dev/null | grep -q "^Status: install ok installed"';
    expect(await onVps(`${pkg} && echo installed || echo removed`)).toBe('installed');
    expect(await onVps('systemctl is-active prometheus-node-exporter')).toBe('active');
    expect(await onVps('curl -fsS http://127.0.0.1:9100/metrics | grep -c ^node_ || true')).not.toBe('0');
    expect(await installed()).toContain('host:node-exporter');

    // No terminal and no --yes: refused, nothing runs.
    const asked = await cli('uninstall-unconfirmed', ['catalog', 'uninstall', 'node-exporter'], []);
    expect(asked.code).not.toBe(0);
    expect(asked.stderr).toMatch(/needs confirmation/);
    expect(await onVps('systemctl is-active prometheus-node-exporter')).toBe('active');

    const un = await cli('uninstall-node-exporter', ['catalog', 'uninstall', 'node-exporter', '--yes'], []);
    expect(un.code, un.stderr + un.stdout).toBe(0);
    expect(un.stdout).toContain('uninstalled host entry node-exporter from vps');
    expect(await onVps(`${pkg} && echo installed || echo removed`)).toBe('removed');
    expect(await onVps('curl -fsS -o /dev/null http://127.0.0.1:9100/metrics && echo up || echo down')).toBe('down');
    expect(await onVps('test -e /etc/default/prometheus-node-exporter && echo kept || echo gone')).toBe('gone');
    expect(await installed()).not.toContain('host:node-exporter');
  });

  it('node-exporter the server had: installed twice and uninstalled, its package, settings and service stay', async () => {
    // The server's own exporter, on another port with its own settings file.
    const own = 'ARGS="--web.listen-address=127.0.0.1:9101"';
    await onVps(
      `DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends prometheus-node-exporter >/dev/null 2>&1; echo '${own}' > /etc/default/prometheus-node-exporter && systemctl enable prometheus-node-exporter 2>/dev/null && systemctl restart prometheus-node-exporter`,
    );
    const pkg = 'dpkg -s prometheus-node-exporter 2>/dev/null | grep -q "^Status: install ok installed"';
    expect(await onVps(`${pkg} && echo installed || echo removed`)).toBe('installed');
    const serving = async (port: number) => {
      const until = Date.now() + 30_000;
      for (;;) {
        if ((await onVps(`curl -fsS -o /dev/null http://127.0.0.1:${port}/metrics && echo up || echo down`)) === 'up')
          return 'up';
        if (Date.now() > until) return 'down';
        await new Promise((r) => setTimeout(r, 250));
      }
    };
    expect(await serving(9101)).toBe('up');
    const before = await onVps('sha256sum /etc/default/prometheus-node-exporter');

    const inst = await cli('install-node-exporter-had', ['catalog', 'install', 'node-exporter', '--server', 'vps'], []);
    expect(inst.code, inst.stderr + inst.stdout).toBe(0);
    expect(await onVps('grep -c "Managed by infrakt" /etc/default/prometheus-node-exporter')).toBe('1');
    // A second install with other values runs install.sh again; the record keeps the server's own file.
    const again = await cli(
      'reinstall-node-exporter-had',
      ['catalog', 'install', 'node-exporter', '--server', 'vps', '--set', 'collectors=systemd'],
      [],
    );
    expect(again.code, again.stderr + again.stdout).toBe(0);
    expect(await onVps('grep -c -- "--collector.systemd" /etc/default/prometheus-node-exporter')).toBe('1');

    const un = await cli('uninstall-node-exporter-had', ['catalog', 'uninstall', 'node-exporter', '--yes'], []);
    expect(un.code, un.stderr + un.stdout).toBe(0);
    expect(await onVps(`${pkg} && echo installed || echo removed`)).toBe('installed');
    expect(await onVps('sha256sum /etc/default/prometheus-node-exporter')).toBe(before);
    expect(await onVps('systemctl is-enabled prometheus-node-exporter')).toBe('enabled');
    expect(await serving(9101)).toBe('up');
    expect(await onVps('curl -fsS -o /dev/null http://127.0.0.1:9100/metrics && echo up || echo down')).toBe('down');
    expect(await onVps('test -e /var/lib/infrakt/catalog/node-exporter && echo kept || echo gone')).toBe('gone');
    expect(await installed()).not.toContain('host:node-exporter');
    await onVps('DEBIAN_FRONTEND=noninteractive apt-get purge -y -q prometheus-node-exporter >/dev/null 2>&1');
  });

  it('an entry without uninstall.sh is refused before anything runs; its record and files stay', async () => {
    const inst = await cli('install-hostcodes', [
      'catalog',
      'install',
      'hostcodes',
      '--server',
      'vps',
      '--set',
      'mode=ok',
      '--set',
      `marker=${marker}`,
    ]);
    expect(inst.code, inst.stderr + inst.stdout).toBe(0);
    const jobsBefore = (await runCli(['job', 'list', '--json'], { home })).stdout;
    const r = await cli('uninstall-refused', ['catalog', 'uninstall', 'hostcodes', '--yes']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('hostcodes 1 has no uninstall script: infrakt cannot remove it');
    expect((await runCli(['job', 'list', '--json'], { home })).stdout).toBe(jobsBefore);
    expect(await onVps(`test -e /var/tmp/ikt-hostcodes-${marker}.done && echo kept`)).toBe('kept');
    expect(await installed()).toContain('host:hostcodes');
    // An unknown name and a bad --kind: worded, exit codes of their kind, nothing started.
    const unknown = await cli('uninstall-unknown', ['catalog', 'uninstall', 'nothing-here', '--yes']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("nothing named 'nothing-here' is installed from the catalog");
    expect(unknown.stderr).toContain('hint: see the names with: infrakt catalog installed');
    const kind = await cli('uninstall-bad-kind', ['catalog', 'uninstall', 'hostcodes', '--kind', 'vm', '--yes']);
    expect(kind.code).not.toBe(0);
    expect(kind.stderr).toContain("--kind must be host or compose, not 'vm'");
    expect((await runCli(['job', 'list', '--json'], { home })).stdout).toBe(jobsBefore);
    // Over the API: the same refusal, before a job exists.
    const res = await api('/api/catalog/installed/hostcodes?server=vps', { method: 'DELETE' });
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect([res.status, body.error.code]).toEqual([501, 'UNSUPPORTED']);
    expect(await installed()).toContain('host:hostcodes');
  });

  it('a failing uninstall.sh keeps the record and reports its exit code (CLI and API); the secret stays redacted', async () => {
    await installUndo(marker);
    await onVps(`touch /var/tmp/ikt-hostundo-${marker}.stuck`);
    const r = await cli('uninstall-failing-cli', ['catalog', 'uninstall', 'hostundo', '--server', 'vps', '--yes']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('uninstall.sh of hostundo exited 3: configuration error');
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
    expect(await installed()).toContain('host:hostundo');

    const res = await api('/api/catalog/installed/hostundo?server=vps', { method: 'DELETE' });
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    const job = await finished(jobId);
    expect(job.status).toBe('failed');
    expect(job.error?.message).toContain('exited 3');
    expect(job.steps.find((s) => s.name === 'uninstall')).toMatchObject({ status: 'failed', exitCode: 3 });
    const log = await jobLog(jobId);
    expect(log).toContain('still in use');
    expect(log).toContain('token=[redacted]');
    expect(log).not.toContain(TOKEN);
    const list = (await (await api('/api/catalog/installed?server=vps')).json()) as Installed[];
    expect(list.map((i) => i.name)).toContain('hostundo');
    expect(await onVps(`cat /var/tmp/ikt-hostundo-${marker}.conf`)).toBe('installed');
  });

  it('once the cause is gone, DELETE /api/catalog/installed/{name} removes it from the server and the list', async () => {
    await onVps(`rm -f /var/tmp/ikt-hostundo-${marker}.stuck`);
    const t0 = Date.now();
    const res = await api('/api/catalog/installed/hostundo?server=vps', { method: 'DELETE' });
    expect(res.status).toBe(202);
    const job = await finished(((await res.json()) as { jobId: string }).jobId);
    timings['uninstall-api'] = Date.now() - t0;
    expect(job.status, JSON.stringify(job.error)).toBe('succeeded');
    expect(job.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'connect:succeeded',
      'check system:succeeded',
      'upload installer:succeeded',
      'uninstall:succeeded',
      'clean up:succeeded',
    ]);
    expect(await onVps(`test -e /var/tmp/ikt-hostundo-${marker}.conf && echo kept || echo gone`)).toBe('gone');
    expect(await onVps('ls /opt/infrakt/catalog 2>/dev/null | wc -l')).toBe('0');
    const list = (await (await api('/api/catalog/installed')).json()) as Installed[];
    expect(list.map((i) => `${i.kind}:${i.name}`)).toEqual(['host:hostcodes']);
    expect(await installed()).toEqual(['host:hostcodes']);
  });

  it('the dashboard: Remove asks for the name to be typed, then runs the uninstall job', async () => {
    const m2 = `${marker}b`;
    await installUndo(m2);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(20_000);
    page = await context.newPage();
    await page.goto(`${served.base}/`);
    await page.getByLabel('API key', { exact: true }).fill(served.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Catalog' }).first().click();
    const row = page.locator('[data-installed="hostundo"]');
    await row.waitFor();
    // hostcodes has no uninstall script: no Remove button, the row says so.
    const codes = page.locator('[data-installed="hostcodes"]');
    await expect(codes.locator('[data-not-removable]').textContent()).resolves.toBe(
      'no uninstall script: remove by hand',
    );
    await expect(codes.getByRole('button', { name: /Remove/ }).count()).resolves.toBe(0);
    await row.getByRole('button', { name: 'Remove hostundo from vps' }).click();
    const dialog = page.getByRole('dialog');
    const confirm = dialog.getByRole('button', { name: 'Remove', exact: true });
    await expect(confirm.isDisabled()).resolves.toBe(true);
    await dialog.getByLabel('Type hostundo to confirm').fill('hostund');
    await expect(confirm.isDisabled()).resolves.toBe(true);
    await dialog.getByLabel('Type hostundo to confirm').fill('hostundo');
    await page.screenshot({ path: join(SHOTS, 'catalog-uninstall-confirm.png'), fullPage: true });
    await confirm.click();
    // The job view opens; once it succeeded the row goes.
    await row.waitFor({ state: 'detached', timeout: 120_000 });
    await page.screenshot({ path: join(SHOTS, 'catalog-uninstall-done.png'), fullPage: true });
    expect(await onVps(`test -e /var/tmp/ikt-hostundo-${m2}.conf && echo kept || echo gone`)).toBe('gone');
    expect(await installed()).toEqual(['host:hostcodes']);
  });
});
