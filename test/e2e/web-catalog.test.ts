// The catalog in the dashboard, in real Chromium against `infrakt serve --catalog-dir` and a harness server:
// the install form generated from the manifest shows and hides a visible_if input live, refuses a bad port with
// the schema's message, reviews, installs (job live), and shows the outputs once; the app page then shows the
// entry's version and upgrades it when a newer one arrives.
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../harness/chromium.js';
import {
  cleanupHomes,
  ensureCliBuilt,
  ensureWebBuilt,
  makeInfraktHome,
  REPO_ROOT,
  registerHarnessServer,
  runCli,
} from '../harness/cli.js';
import { type Served, startServe } from '../harness/serve.js';
import { type SshdHost, startSshd, waitFor } from '../harness/sshd.js';
import { removeDir, tempDir } from '../helpers/state.js';
import { cleanupDocker, removeAppImages } from './deploy-harness.js';

const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');
const APP = `ikt-test-${Math.random().toString(36).slice(2, 8)}`;
const SERVER = 'e2e-catalog';
const PREFIX = `st${Math.random().toString(36).slice(2, 7)}-`;

function ensureBuilt(): void {
  ensureCliBuilt();
  ensureWebBuilt();
}

describe('catalog in the dashboard (Chromium)', () => {
  let home: string;
  let catalogDir: string;
  let sshd: SshdHost;
  let served: Served;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    ensureBuilt();
    mkdirSync(SHOTS, { recursive: true });
    // Only the healthy version of the test entry: the form installs the newest version.
    catalogDir = tempDir();
    cpSync(join(REPO_ROOT, 'test', 'fixtures', 'catalog', 'webapp@1'), join(catalogDir, 'webapp'), { recursive: true });
    home = makeInfraktHome();
    sshd = await startSshd();
    await registerHarnessServer(home, sshd, SERVER);
    const set = await runCli(['server', 'set', SERVER, '--pull-policy', 'never'], { home });
    expect(set.code, set.stderr).toBe(0);
    served = await startServe(home, { args: ['--catalog-dir', catalogDir] });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
  }, 180_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && page)
      await page.screenshot({ path: join(SHOTS, 'failed-catalog.png'), fullPage: true }).catch(() => {});
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    if (sshd) cleanupDocker(sshd.root);
    removeAppImages(APP);
    for (const n of ['one', 'two']) removeAppImages(`${PREFIX}${n}`);
    await sshd?.stop();
    if (catalogDir) removeDir(catalogDir);
    cleanupHomes();
  });

  it('generates the form, applies visible_if live, refuses a bad port, installs and shows the outputs once', async () => {
    await page.goto(`${served.base}/`);
    await page.getByLabel('API key', { exact: true }).fill(served.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Catalog' }).first().click();
    await page.getByRole('heading', { name: 'Catalog' }).waitFor();
    await page.locator('[data-entry="portainer"]').waitFor();
    await page.getByLabel('Search the catalog').fill('test web');
    await expect(page.locator('[data-entry]').count()).resolves.toBe(1);
    await page.screenshot({ path: join(SHOTS, 'catalog-01-list.png'), fullPage: true });
    await page.locator('[data-entry="webapp"]').click();
    await page.getByRole('heading', { name: /Test web app/ }).waitFor();

    // visible_if, live: the advanced inputs appear only with "advanced" on.
    await expect(page.locator('[data-input="metrics_port"]').count()).resolves.toBe(0);
    await page.locator('[data-input="advanced"]').check();
    await page.locator('[data-input="metrics_port"]').waitFor();
    await page.locator('[data-input="admin_email"]').waitFor();

    // The schema's own message for a bad port (same code as the API and the CLI).
    await page.locator('[data-input="metrics_port"]').fill('99999');
    await page.locator('[data-input="metrics_port"]').blur();
    await expect(page.locator('[data-error="metrics_port"]').textContent()).resolves.toBe(
      'Metrics port must be between 1 and 65535',
    );
    await page.locator('[data-review-button]').click();
    await expect(page.locator('[data-review]').count()).resolves.toBe(0);
    await page.screenshot({ path: join(SHOTS, 'catalog-02-form-errors.png'), fullPage: true });
    await page.locator('[data-input="metrics_port"]').fill('9300');
    await page.locator('[data-input="admin_email"]').fill('ops@example.com');
    await page.getByLabel('App name').fill(APP);
    // Turning "advanced" off again hides (and will not send) its inputs; on again restores them.
    await page.locator('[data-input="advanced"]').uncheck();
    await expect(page.locator('[data-input="metrics_port"]').count()).resolves.toBe(0);
    await page.locator('[data-input="advanced"]').check();

    await page.locator('[data-review-button]').click();
    const review = page.locator('[data-review]');
    await review.waitFor();
    await expect(review.textContent()).resolves.toMatch(/Metrics port9300/);
    await expect(review.textContent()).resolves.toMatch(/Cache passwordgenerated at install/);
    await page.locator('[data-install]').click();

    // The job, live, then the outputs (with the generated password) once.
    const outputs = page.locator('[data-outputs]');
    await outputs.waitFor({ timeout: 150_000 });
    await page.screenshot({ path: join(SHOTS, 'catalog-03-installed.png'), fullPage: true });
    const shown = (await page.locator('[data-output="Cache password"]').textContent())?.trim() ?? '';
    expect(shown).toMatch(/^[A-Za-z0-9]{24}$/);
    const stored = await runCli(['env', 'get', APP, 'CACHE_PASSWORD'], { home });
    expect(stored.stdout.trim()).toBe(shown);
    const env = await runCli(['env', 'get', APP, 'METRICS_PORT'], { home });
    expect(env.stdout.trim()).toBe('9300');

    // Shown once: the API has forgotten them.
    const jobs = (await (await fetch(`${served.base}/api/jobs`, { headers: { 'X-API-Key': served.key } })).json()) as {
      id: string;
      kind: string;
      status: string;
    }[];
    const job = jobs.find((j) => j.kind === 'catalog.install')!;
    expect(job.status).toBe('succeeded');
    const again = await fetch(`${served.base}/api/catalog/installs/${job.id}/outputs`, {
      method: 'POST',
      headers: { 'X-API-Key': served.key },
    });
    expect(again.status).toBe(404);
    const record = await (
      await fetch(`${served.base}/api/jobs/${job.id}`, { headers: { 'X-API-Key': served.key } })
    ).text();
    expect(record).not.toContain(shown);

    // The app's page shows the outputs at any time: the secret only after an explicit reveal.
    await page.goto(`${served.base}/apps/${APP}`);
    const appOutputs = page.locator(`[data-app-outputs="${APP}"]`);
    await appOutputs.waitFor();
    await page.getByRole('button', { name: 'Reveal Cache password' }).waitFor();
    expect(await page.content()).not.toContain(shown);
    await page.getByRole('button', { name: 'Reveal Cache password' }).click();
    await expect.poll(() => appOutputs.locator('[data-app-output="Cache password"]').textContent()).toBe(shown);
    expect(errors).toEqual([]);
  }, 240_000);

  it('the app page shows the entry and version it runs, and upgrades it when the catalog has a newer one', async () => {
    await page.goto(`${served.base}/apps/${APP}`);
    const version = page.locator('[data-catalog-version]');
    await expect(version.textContent()).resolves.toBe('Test web app 1');
    // Nothing newer yet: no Upgrade action.
    await expect(page.getByRole('button', { name: /Upgrade to/ }).count()).resolves.toBe(0);

    // Version 2 arrives in the user's catalog folder (read on every request).
    cpSync(join(REPO_ROOT, 'test', 'fixtures', 'catalog', 'webapp@2'), join(catalogDir, 'webapp@2'), {
      recursive: true,
    });
    await page.reload();
    await page.getByRole('button', { name: 'Upgrade to 2' }).click();
    await expect(page.locator('[data-upgrade-notes]').textContent()).resolves.toBe('version 2 of the test entry');
    await page.screenshot({ path: join(SHOTS, 'catalog-04-upgrade.png'), fullPage: true });
    await page.locator('[data-confirm-upgrade]').click();

    // The job runs live; once it succeeded the page shows the new version and no Upgrade action.
    await page.getByText('Test web app 2', { exact: true }).waitFor({ timeout: 150_000 });
    await expect(page.getByRole('button', { name: /Upgrade to/ }).count()).resolves.toBe(0);
    await page.screenshot({ path: join(SHOTS, 'catalog-05-upgraded.png'), fullPage: true });
    const installed = JSON.parse((await runCli(['catalog', 'installed', '--json'], { home })).stdout) as {
      name: string;
      version: string;
    }[];
    expect(installed.find((r) => r.name === APP)?.version).toBe('2');
    const jobs = (await (await fetch(`${served.base}/api/jobs`, { headers: { 'X-API-Key': served.key } })).json()) as {
      kind: string;
      status: string;
    }[];
    expect(jobs.find((j) => j.kind === 'catalog.upgrade')?.status).toBe('succeeded');
    expect(errors).toEqual([]);
  }, 240_000);

  it('the settings tab puts basic auth in front of the app (a short password refused on the page); never shown back', async () => {
    const password = `pw-${Math.random().toString(36).slice(2, 10)}-long`;
    await page.goto(`${served.base}/apps/${APP}?tab=settings`);
    await expect(page.locator('[data-auth-current]').textContent()).resolves.toBe('Now: no auth');
    await page.getByLabel('Auth in front of the app').selectOption('basic');
    await page.getByLabel('User', { exact: true }).fill('admin');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Save auth' }).click();
    await page.getByText('Password must be at least 8 characters').waitFor();
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Save auth' }).click();
    await page.getByText('Now: basic auth (admin)').waitFor({ timeout: 60_000 });
    await page.screenshot({ path: join(SHOTS, 'catalog-06-auth.png'), fullPage: true });
    // The field is emptied once the API has the password.
    await expect(page.getByLabel('Password', { exact: true }).inputValue()).resolves.toBe('');
    const auth = await (
      await fetch(`${served.base}/api/apps/${APP}/auth`, { headers: { 'X-API-Key': served.key } })
    ).text();
    expect(JSON.parse(auth)).toMatchObject({ auth: 'basic', user: 'admin' });
    expect(auth).not.toContain(password);
    expect(await page.content()).not.toContain(password);
    expect(errors).toEqual([]);
  }, 120_000);

  it('installs a stack from the catalog page: a required shared input refused empty, then each entry as its own job', async () => {
    mkdirSync(join(catalogDir, 'stacks'), { recursive: true });
    writeFileSync(
      join(catalogDir, 'stacks', 'duo.yml'),
      [
        'id: duo',
        'name: Duo',
        'description: Two test apps sharing a greeting.',
        'inputs:',
        '  - { name: greeting, type: string, label: Greeting, required: true, env: GREETING }',
        'entries:',
        '  - { entry: webapp, name: one }',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the stack's own ${VAR} syntax
        '  - { entry: webapp, name: two, values: { greeting: "${GREETING}-again" } }',
        '',
      ].join('\n'),
    );
    await page.goto(`${served.base}/catalog`);
    const row = page.locator('[data-stack="duo"]');
    await row.getByRole('button', { name: 'Install stack' }).click();
    await page.locator('[data-install-stack]').click();
    await page.getByText('Greeting is required').waitFor();
    await page.locator('[data-stack-input="greeting"]').fill('salut');
    await page.getByLabel('App name prefix').fill(PREFIX);
    await page.screenshot({ path: join(SHOTS, 'catalog-07-stack.png'), fullPage: true });
    await page.locator('[data-install-stack]').click();

    const headers = { 'X-API-Key': served.key };
    type Job = { id: string; kind: string; status: string; steps: { name: string; detail: string | null }[] };
    let stackJob: Job | undefined;
    await waitFor(
      'the stack job to finish',
      async () => {
        const jobs = (await (await fetch(`${served.base}/api/jobs`, { headers })).json()) as Job[];
        stackJob = jobs.find((j) => j.kind === 'catalog.stack-install');
        return stackJob !== undefined && !['queued', 'running'].includes(stackJob.status);
      },
      200_000,
    );
    await page.screenshot({ path: join(SHOTS, 'catalog-08-stack-done.png'), fullPage: true });
    const full = (await (await fetch(`${served.base}/api/jobs/${stackJob!.id}`, { headers })).json()) as Job;
    expect(full.status).toBe('succeeded');
    expect(full.steps.map((st) => st.name)).toEqual([`webapp as ${PREFIX}one`, `webapp as ${PREFIX}two`]);
    // Each entry is its own catalog.install job, named in its step.
    for (const st of full.steps) {
      const child = /job (\S+?):/.exec(st.detail ?? '')?.[1];
      expect(child).toBeDefined();
      const rec = (await (await fetch(`${served.base}/api/jobs/${child}`, { headers })).json()) as Job;
      expect(rec).toMatchObject({ kind: 'catalog.install', status: 'succeeded' });
    }
    expect((await runCli(['env', 'get', `${PREFIX}one`, 'APP_MESSAGE'], { home })).stdout.trim()).toBe('salut');
    expect((await runCli(['env', 'get', `${PREFIX}two`, 'APP_MESSAGE'], { home })).stdout.trim()).toBe('salut-again');
    // After the stack, each entry's outputs are on the page, secrets masked until revealed.
    const done = page.locator('[data-stack-installed="duo"]');
    await done.waitFor({ timeout: 30_000 });
    await page.keyboard.press('Escape'); // the job's dialog
    for (const n of ['one', 'two']) {
      const outs = done.locator(`[data-app-outputs="${PREFIX}${n}"]`);
      await outs.waitFor();
      await outs.getByRole('button', { name: 'Reveal Cache password' }).waitFor();
    }
    const pw = (await runCli(['env', 'get', `${PREFIX}one`, 'CACHE_PASSWORD'], { home })).stdout.trim();
    expect(pw.length).toBeGreaterThan(10);
    expect(await page.content()).not.toContain(pw);
    await done
      .locator(`[data-app-outputs="${PREFIX}one"]`)
      .getByRole('button', { name: 'Reveal Cache password' })
      .click();
    await expect
      .poll(() => done.locator(`[data-app-outputs="${PREFIX}one"] [data-app-output="Cache password"]`).textContent())
      .toBe(pw);
    expect(errors).toEqual([]);
  }, 300_000);
});
