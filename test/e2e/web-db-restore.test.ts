// The dashboard's typed restore of a database in real Chromium, against `infrakt serve` on loopback, a harness
// sshd server and a real Redis container: a backup taken from the page appears in its list, the data changes,
// the restore dialog keeps its button disabled (and Enter does nothing) until the database's exact name is typed,
// then the restore job runs and the data from the backup is back.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../harness/chromium.js';
import { CLI_BIN, REPO_ROOT } from '../harness/cli.js';
import { run, shouldRunDockerTests } from '../harness/docker.js';
import { waitFor } from '../harness/sshd.js';
import { type DbEnv, dbEnv } from '../integration/db-harness.js';

const runIt = await shouldRunDockerTests();
const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');

describe.skipIf(!runIt)('dashboard: typed database restore (Chromium, sshd, Redis)', { timeout: 300_000 }, () => {
  let env: DbEnv;
  let name = '';
  let url: URL;
  let serve: ChildProcess;
  let base = '';
  let key = '';
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];
  const shot = (n: string) => page.screenshot({ path: join(SHOTS, `db-restore-${n}.png`), fullPage: true });
  const redis = async (...args: string[]) =>
    (
      await run('redis-cli', ['-h', url.hostname, '-p', url.port, '--no-auth-warning', ...args], {
        env: { ...process.env, REDISCLI_AUTH: decodeURIComponent(url.password) },
      })
    ).stdout.trim();
  const jobCount = async () => {
    const r = await fetch(`${base}/api/jobs?limit=100`, { headers: { 'X-API-Key': key } });
    return ((await r.json()) as unknown[]).length;
  };

  beforeAll(async () => {
    if (!existsSync(join(REPO_ROOT, 'dist', 'web', 'index.html')))
      execFileSync(process.execPath, ['scripts/build.mjs', 'web'], { cwd: REPO_ROOT, stdio: 'ignore' });
    mkdirSync(SHOTS, { recursive: true });
    env = await dbEnv(['redis']);
    name = `${env.prefix}-cache`;
    const db = await env.json<{ connectionString: string }>([
      'db',
      'create',
      '--server',
      env.server,
      '--name',
      name,
      '--type',
      'redis',
      '--version',
      '7',
    ]);
    url = new URL(db.connectionString);
    expect(await redis('SET', 'greeting', 'from the backup')).toBe('OK');

    let out = '';
    serve = spawn(process.execPath, [CLI_BIN, 'serve', '--host', '127.0.0.1', '--port', '0'], {
      cwd: REPO_ROOT,
      env: { ...process.env, INFRAKT_HOME: env.home, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const collect = (b: Buffer) => {
      out += b.toString();
    };
    serve.stdout?.on('data', collect);
    serve.stderr?.on('data', collect);
    await waitFor(
      'infrakt serve to listen',
      () => {
        if (serve.exitCode !== null) throw new Error(`infrakt serve exited: ${out}`);
        base = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
        return base !== '' && /API key\s+in (\S+)/.test(out);
      },
      30_000,
    );
    key = readFileSync(join(env.home, 'api_key'), 'utf8').trim();
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(30_000);
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
  }, 240_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && page) await shot('failed').catch(() => undefined);
  });

  afterAll(async () => {
    await browser?.close();
    if (serve && serve.exitCode === null) {
      const exited = new Promise((r) => serve.once('exit', r));
      serve.kill('SIGTERM');
      await exited;
    }
    await env?.cli(['db', 'destroy', name, '--server', env.server, '--force']).catch(() => undefined);
    await env?.close();
  }, 120_000);

  it('backs up from the page, and restores only after the exact name is typed: the data is back', async () => {
    await page.goto(`${base}/`);
    await page.getByLabel('API key', { exact: true }).fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByRole('link', { name: 'Databases' }).first().click();
    const row = page.locator(`[data-db="${name}"]`);
    await row.getByRole('button', { name: 'Backups' }).click();
    const backups = page.getByRole('dialog', { name: `Backups of ${name}` });
    await backups.getByText('No backups yet').waitFor();

    // A backup taken from the page shows in the list once its job succeeded, without reloading.
    await backups.getByRole('button', { name: 'Run backup now' }).click();
    const backupJob = page.getByRole('dialog', { name: `Back up ${name}` });
    await backupJob.locator('[data-job-status="succeeded"]').waitFor({ timeout: 120_000 });
    await backupJob.getByRole('button', { name: 'Close dialog' }).click();
    await backupJob.waitFor({ state: 'detached' });
    const list = backups.getByRole('table', { name: `Backups of ${name}` });
    const file =
      (await list
        .locator('td', { hasText: /\.rdb\.gz/ })
        .first()
        .textContent({ timeout: 30_000 })) ?? '';
    expect(file).toMatch(/^\d{8}T\d{6}Z\.rdb\.gz/);
    await shot('1-backup-listed');

    expect(await redis('SET', 'greeting', 'changed after the backup')).toBe('OK');
    expect(await redis('SET', 'extra', 'not in the backup')).toBe('OK');

    await list.getByRole('button', { name: 'Restore' }).first().click();
    const confirm = page.getByRole('dialog', { name: `Restore ${name}` });
    const go = confirm.getByRole('button', { name: 'Restore backup' });
    const typed = confirm.getByLabel(`Type ${name} to confirm`);
    expect(await go.isDisabled()).toBe(true);
    // A wrong name (a prefix, another case, a trailing space): the button stays disabled, Enter sends nothing.
    const jobsBefore = await jobCount();
    for (const wrong of [name.slice(0, -1), name.toUpperCase(), `${name} `]) {
      await typed.fill(wrong);
      expect(await go.isDisabled()).toBe(true);
      await typed.press('Enter');
    }
    await shot('2-wrong-name');
    expect(await confirm.isVisible()).toBe(true);
    expect(await jobCount()).toBe(jobsBefore);
    expect(await redis('GET', 'greeting')).toBe('changed after the backup');

    await typed.fill(name);
    expect(await go.isEnabled()).toBe(true);
    await go.click();
    const restoreJob = page
      .getByRole('dialog', { name: `Restore ${name}` })
      .filter({ has: page.locator('[data-job-id]') });
    await restoreJob.locator('[data-job-status="succeeded"]').waitFor({ timeout: 120_000 });
    await shot('3-restored');
    expect(await redis('GET', 'greeting')).toBe('from the backup');
    expect(await redis('EXISTS', 'extra')).toBe('0');
    const jobs = (await (await fetch(`${base}/api/jobs?limit=100`, { headers: { 'X-API-Key': key } })).json()) as {
      kind: string;
      status: string;
    }[];
    expect(jobs.filter((j) => j.kind === 'db.restore').map((j) => j.status)).toEqual(['succeeded']);
    expect(errors).toEqual([]);
  });
});
