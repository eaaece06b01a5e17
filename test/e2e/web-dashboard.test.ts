// The dashboard in real Chromium against `infrakt serve` on loopback and a real sshd "server":
// log in (a wrong key is refused), add the server (host key confirmed), create an image app with a
// domain, deploy and watch the steps live, see its logs stream, set an env var (masked), roll back,
// destroy with the typed confirmation. A screenshot of each page goes to test-artifacts/screenshots/.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../harness/chromium.js';
import { cleanupHomes, ensureCliBuilt, ensureWebBuilt, makeInfraktHome, REPO_ROOT } from '../harness/cli.js';
import { type Served, startServe } from '../harness/serve.js';
import { type SshdHost, startSshd } from '../harness/sshd.js';

const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');
const APP = `web-${Math.random().toString(36).slice(2, 8)}`;
const SERVER = 'e2e-web';
const IMAGE = 'infrakt-test/web:1';

/** Builds what the test drives when it is missing (`npm test` builds first; this covers one file). */
function ensureBuilt(): void {
  ensureCliBuilt();
  ensureWebBuilt();
}

/** "METHOD /path" of every route the API documents: stages whose routes are not there yet say so. */
async function apiRoutes(s: Served): Promise<Set<string>> {
  const res = await fetch(`${s.base}/api/openapi.json`, { headers: { 'X-API-Key': s.key } });
  const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
  const out = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths))
    for (const m of Object.keys(ops)) out.add(`${m.toUpperCase()} ${path}`);
  return out;
}

describe('web dashboard in Chromium', () => {
  let home: string;
  let sshd: SshdHost;
  let served: Served;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let routes: Set<string>;
  const consoleErrors: string[] = [];

  const shot = async (name: string) => {
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  };
  const has = (route: string) => routes.has(route);

  beforeAll(async () => {
    ensureBuilt();
    mkdirSync(SHOTS, { recursive: true });
    home = makeInfraktHome();
    sshd = await startSshd();
    served = await startServe(home);
    expect((await fetch(`${served.base}/api/health`)).ok).toBe(true);
    routes = await apiRoutes(served);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
    page.on('console', (m) => {
      // Refused API calls (wrong key, a host key mismatch) are expected and shown in the page; the browser
      // also logs each as "Failed to load resource". Anything else logged as an error is a bug.
      if (
        m.type() === 'error' &&
        !/^Failed to load resource: the server responded with a status of [45]\d\d/.test(m.text())
      ) {
        consoleErrors.push(m.text());
      }
    });
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
  });

  afterEach(async (ctx) => {
    // What the page looked like when a step failed is the first thing to look at.
    if (ctx.task.result?.state === 'fail' && page) {
      const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      await page.screenshot({ path: join(SHOTS, `failed-${name}.png`), fullPage: true }).catch(() => {});
    }
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    await sshd?.stop();
    cleanupHomes();
  });

  it('refuses a wrong key, then logs in with the real one', async () => {
    await page.goto(`${served.base}/`);
    const keyField = page.getByLabel('API key', { exact: true });
    await keyField.fill('not-the-key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(
      page.getByRole('alert').filter({ hasText: 'That API key was not accepted' }).waitFor(),
    ).resolves.toBeUndefined();
    expect(await page.evaluate("localStorage.getItem('infrakt.apiKey')")).toBeNull();
    await shot('01-login-refused');

    await keyField.fill(served.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.locator('[data-stat="servers"]').waitFor();
    expect(await page.locator('[data-stat="servers"]').textContent()).toBe('0');
    await shot('02-dashboard-empty');
  });

  it('shows empty states on every list page', async () => {
    for (const [path, text] of [
      ['/servers', 'No servers yet'],
      ['/apps', 'No apps yet'],
      ['/jobs', 'No jobs yet'],
    ] as const) {
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: path.slice(1), exact: false })
        .first()
        .click();
      await page.getByText(text).waitFor();
    }
  });

  it('adds the server and shows its host key fingerprint to confirm', async () => {
    await page.getByRole('link', { name: 'Servers' }).first().click();
    // Keyboard: Escape closes the dialog and focus goes back to the button that opened it.
    const opener = page.getByRole('button', { name: 'Add server' });
    await opener.click();
    const dialog = page.getByRole('dialog', { name: 'Add a server' });
    await dialog.waitFor();
    expect(await page.evaluate('document.activeElement?.getAttribute("name")')).toBe('name');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await opener.evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    await opener.click();
    // Client-side validation first: nothing is sent for a bad name.
    await dialog.getByLabel('Name', { exact: true }).fill('Bad Name');
    await dialog.getByRole('button', { name: 'Add server' }).click();
    await dialog.getByText('Name must be 1-63 characters').waitFor();

    await dialog.getByLabel('Name', { exact: true }).fill(SERVER);
    await dialog.getByLabel('Host', { exact: true }).fill(sshd.host);
    await dialog.getByLabel('SSH port', { exact: true }).fill(String(sshd.port));
    // Over the API a key must be a file in $INFRAKT_HOME/keys/: the user copies it there and names it.
    mkdirSync(join(home, 'keys'), { recursive: true, mode: 0o700 });
    copyFileSync(sshd.keyPath, join(home, 'keys', 'id_test'));
    await dialog.getByLabel('Private key path', { exact: true }).fill('id_test');
    await dialog.getByLabel('Remote root', { exact: true }).fill(sshd.root);
    await shot('03-server-add-form');
    await dialog.getByRole('button', { name: 'Add server' }).click();

    const confirm = page.getByRole('dialog', { name: 'Confirm the host key' });
    await confirm.waitFor({ timeout: 60_000 });
    await shot('04-server-host-key');
    const row = page.locator(`tr[data-server="${SERVER}"]`);
    if (has('POST /api/servers/{name}/test')) {
      await expect(confirm.locator('[data-fingerprint]').textContent()).resolves.toBe(sshd.fingerprint);
      await confirm.getByRole('button', { name: /It matches/ }).click();
      await row.getByText('active').waitFor({ timeout: 30_000 });
    } else {
      // Registered but not probed: the dialog says so instead of showing a fingerprint.
      await confirm.getByRole('button', { name: 'Keep it' }).click();
      await row.waitFor();
    }
    await shot('05-servers');
  });

  it('shows the server detail page with metrics, apps and routes', async () => {
    await page.getByRole('link', { name: SERVER, exact: true }).click();
    await page.getByRole('heading', { name: SERVER }).waitFor();
    await page.getByRole('heading', { name: 'Metrics' }).waitFor();
    await page.getByText('No apps on this server').waitFor();
    if (has('GET /api/servers/{name}/status')) {
      // Live metrics over SSH: the chart captions fill in and the poll keeps going.
      await page.getByText(/refreshed every \d+s while this page is open/).waitFor({ timeout: 30_000 });
      await page.getByRole('img', { name: /Memory used: latest \d+%/ }).waitFor();
    }
    await shot('06-server-detail');
  });

  it('creates an image app with a domain (fields follow the app type)', async () => {
    await page.getByRole('link', { name: 'Apps' }).first().click();
    await page.getByRole('button', { name: 'Create app' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Create an app' });
    await dialog.getByLabel('Git repository', { exact: true }).check();
    await dialog.getByLabel('Repository', { exact: true }).waitFor();
    expect(await dialog.getByLabel('Image', { exact: true }).count()).toBe(0);
    await dialog.getByLabel('Docker image', { exact: true }).check();
    await dialog.getByLabel('Name', { exact: true }).fill(APP);
    await dialog.getByLabel('Server', { exact: true }).selectOption(SERVER);
    await dialog.getByLabel('Image', { exact: true }).fill(IMAGE);
    await dialog.getByLabel('Domain', { exact: true }).fill(`${APP}.test`);
    await shot('07-app-create');
    await dialog.getByRole('button', { name: 'Create app' }).click();
    await page.getByRole('heading', { name: APP }).waitFor();
    await shot('08-app-detail-new');
  });

  it('sets an env var and shows it masked, revealed only on request', async (ctx) => {
    if (!has('PUT /api/apps/{name}/env')) ctx.skip('PUT /api/apps/{name}/env is not in the API yet');
    await page.getByRole('tab', { name: 'Environment' }).click();
    await page.getByLabel('Name', { exact: true }).fill('APP_MESSAGE');
    await page.getByLabel('Value', { exact: true }).fill('hello from e2e');
    await page.getByRole('button', { name: 'Set variable' }).click();
    const cell = page.locator('tr[data-env="APP_MESSAGE"] [data-env-value]');
    await cell.waitFor();
    expect(await cell.textContent()).toBe('••••••••');
    expect(await page.content()).not.toContain('hello from e2e');
    await shot('09-app-env-masked');
    await page.getByRole('button', { name: 'Reveal APP_MESSAGE' }).click();
    await page.getByText('hello from e2e').waitFor();
    await page.getByRole('button', { name: 'Hide APP_MESSAGE' }).click();
    await cell.getByText('••••••••').waitFor();
  });

  it('deploys and shows the steps completing live', async (ctx) => {
    if (!has('POST /api/apps/{name}/deploy')) ctx.skip('POST /api/apps/{name}/deploy is not in the API yet');
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Deploy ${APP}` });
    const job = dialog.locator('[data-job-status]');
    await job.waitFor();
    // Live: a step is seen unfinished, then the job ends succeeded without any reload.
    await dialog
      .locator('[data-step][data-status="running"], [data-step][data-status="pending"]')
      .first()
      .waitFor({ timeout: 30_000 });
    await shot('10-deploy-running');
    await dialog.locator('[data-job-status="succeeded"]').waitFor({ timeout: 120_000 });
    const statuses = await dialog
      .locator('[data-step]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-status')));
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => s === 'succeeded' || s === 'unchanged' || s === 'skipped')).toBe(true);
    await shot('11-deploy-succeeded');
    await dialog.getByRole('button', { name: 'Close dialog' }).click();
  });

  it("streams the app's logs", async (ctx) => {
    if (!has('GET /api/apps/{name}/logs/stream')) ctx.skip('GET /api/apps/{name}/logs/stream is not in the API yet');
    await page.getByRole('tab', { name: 'Logs' }).click();
    const log = page.getByRole('log', { name: `Logs of ${APP}` });
    await log.getByText('infrakt-test-web').first().waitFor({ timeout: 60_000 });
    await page.getByLabel('Search logs', { exact: true }).fill('listening');
    await log.getByText('listening on').first().waitFor();
    await shot('12-app-logs');
  });

  it('rolls back to the first release', async (ctx) => {
    if (!has('POST /api/apps/{name}/rollback')) ctx.skip('POST /api/apps/{name}/rollback is not in the API yet');
    // A second deploy makes release #2; then roll back to #1 from the history.
    await page.getByRole('button', { name: 'Deploy', exact: true }).click();
    const deploy = page.getByRole('dialog', { name: `Deploy ${APP}` });
    await deploy.locator('[data-job-status="succeeded"]').waitFor({ timeout: 120_000 });
    await deploy.getByRole('button', { name: 'Close dialog' }).click();
    await page.getByRole('tab', { name: 'Deployments' }).click();
    const first = page.locator('tr[data-release="1"]').first();
    await first.getByRole('button', { name: 'Roll back here' }).click();
    const rb = page.getByRole('dialog', { name: `Roll back ${APP} to #1` });
    await rb.locator('[data-job-status="succeeded"]').waitFor({ timeout: 120_000 });
    await rb.getByRole('button', { name: 'Close dialog' }).click();
    // The rollback is a new release (#3) of release #1's build, now the current one.
    const current = page.locator('tr[data-current="true"]');
    await current.getByText('rollback').waitFor({ timeout: 15_000 });
    expect(await current.getAttribute('data-release')).toBe('3');
    await page.getByText('release #3').waitFor();
    await shot('13-app-deployments');
  });

  it('adds an SFTP backup target, tests and verifies it from the server; shows backup state', async (ctx) => {
    if (!has('POST /api/backup-targets')) ctx.skip('POST /api/backup-targets is not in the API yet');
    // The app's Backups tab: an image app has no volume backups yet.
    await page.getByRole('tab', { name: 'Backups' }).click();
    await page.getByText('No volume backups yet').waitFor();
    await page.getByRole('link', { name: 'Backups' }).first().click();
    await page.getByRole('heading', { name: 'Backups', exact: true }).waitFor();
    await page.getByText('No off-site targets yet').waitFor();
    await page.getByRole('button', { name: 'Add target' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Add a backup target' });
    await dialog.getByLabel('Name', { exact: true }).fill('vault');
    await dialog.getByLabel('SFTP location', { exact: true }).fill(`root@127.0.0.1:${sshd.port}:${sshd.root}/restic`);
    await dialog.getByLabel(/Private key/).fill(readFileSync(sshd.keyPath, 'utf8'));
    await shot('19-backup-target-add');
    await dialog.getByRole('button', { name: 'Add target' }).click();
    const added = page.getByRole('dialog', { name: 'Target vault added' });
    await added.getByText('infrakt backup-target password vault').waitFor();
    await added.getByRole('button', { name: 'Close', exact: true }).click();
    const row = page.locator('tr[data-target="vault"]');
    await row.getByText('pinned on first use').waitFor();
    for (const action of ['Test', 'Verify'] as const) {
      await row.getByRole('button', { name: action, exact: true }).click();
      const job = page.getByRole('dialog', { name: `${action} vault` });
      await job.locator('[data-job-status="succeeded"]').waitFor({ timeout: 120_000 });
      await job.getByRole('button', { name: 'Close dialog' }).click();
    }
    // Pinned on first contact: the SFTP host's real key; the last check is the verify.
    await row.getByText(sshd.fingerprint).waitFor({ timeout: 15_000 });
    await row.locator('[data-check="verify ok"]').waitFor();
    await page.locator(`tr[data-app="${APP}"]`).getByText('never').first().waitFor();
    await shot('20-backups');
    // The key pasted into the form is not in any API answer.
    const targets = await (
      await fetch(`${served.base}/api/backup-targets`, { headers: { 'X-API-Key': served.key } })
    ).text();
    expect(targets).not.toContain(readFileSync(sshd.keyPath, 'utf8').split('\n')[1]);
    await page.getByRole('link', { name: APP }).first().click();
    await page.getByRole('heading', { name: APP }).waitFor();
  });

  it('destroys the app only after its name is typed', async (ctx) => {
    if (!has('DELETE /api/apps/{name}')) ctx.skip('DELETE /api/apps/{name} is not in the API yet');
    await page.getByRole('button', { name: 'Destroy' }).first().click();
    const dialog = page.getByRole('dialog', { name: `Destroy app ${APP}` });
    const button = dialog.getByRole('button', { name: 'Destroy app' });
    expect(await button.isDisabled()).toBe(true);
    await dialog.getByLabel(`Type ${APP} to confirm`, { exact: true }).fill(`${APP}x`);
    expect(await button.isDisabled()).toBe(true);
    await dialog.getByLabel(`Type ${APP} to confirm`, { exact: true }).fill(APP);
    await shot('14-destroy-confirm');
    await button.click();
    // The job's live view shows until it succeeded; then the page goes back to the (now empty) app list.
    await page
      .getByRole('dialog', { name: `Destroy ${APP}` })
      .locator('[data-job-status]')
      .waitFor();
    await page.getByText('No apps yet').waitFor({ timeout: 120_000 });
    const jobs = (await (
      await fetch(`${served.base}/api/jobs?limit=20`, { headers: { 'X-API-Key': served.key } })
    ).json()) as { kind: string; status: string }[];
    expect(jobs.find((j) => j.kind === 'app.destroy')?.status).toBe('succeeded');
  });

  it('refuses a changed host key until the verified fingerprint is pasted', async (ctx) => {
    if (!has('POST /api/servers/{name}/trust')) ctx.skip('POST /api/servers/{name}/trust is not in the API yet');
    const old = sshd.fingerprint;
    await sshd.restartWithNewHostKey();
    expect(sshd.fingerprint).not.toBe(old);
    // A job on that server fails before anything is sent, and its page says what happened and how to accept the
    // new key (the job's error code and hint, as for any refused request).
    const reload = await fetch(`${served.base}/api/servers/${SERVER}/proxy/reload`, {
      method: 'POST',
      headers: { 'X-API-Key': served.key },
    });
    expect(reload.status).toBe(202);
    const { jobId } = (await reload.json()) as { jobId: string };
    await page.goto(`${served.base}/jobs/${jobId}`);
    const failed = page.locator('[data-job-status="failed"]');
    await failed.waitFor({ timeout: 60_000 });
    const alert = failed.getByRole('alert');
    await alert.getByText('[HOST_KEY_MISMATCH]').waitFor();
    await alert.getByText(`infrakt server trust ${SERVER}`).waitFor();
    expect(await alert.textContent()).toContain(`got ${sshd.fingerprint}`);
    await page.getByRole('link', { name: 'Servers' }).first().click();
    await page.getByRole('link', { name: SERVER, exact: true }).click();
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    const form = page.locator('form').filter({ hasText: 'The server presented a different host key' });
    await form.waitFor({ timeout: 30_000 });
    await form.getByLabel('Verified fingerprint', { exact: true }).fill('SHA256:nope');
    await form.getByRole('button', { name: 'Trust this key' }).click();
    await form.getByText('Verified fingerprint must look like SHA256:').waitFor();
    await shot('19-host-key-changed');
    await form.getByLabel('Verified fingerprint', { exact: true }).fill(sshd.fingerprint);
    await form.getByRole('button', { name: 'Trust this key' }).click();
    await page.getByText(`Host key ${sshd.fingerprint}`).waitFor({ timeout: 30_000 });
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    await page.getByRole('heading', { name: SERVER }).getByText('active').waitFor({ timeout: 30_000 });
  });

  it('shows jobs, the dashboard and databases pages, and logs out', async () => {
    await page.getByRole('link', { name: 'Jobs' }).first().click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
    await shot('15-jobs');
    if (has('POST /api/apps/{name}/deploy')) {
      // A finished job opened from the list: its steps and its log, kept.
      await page.getByRole('link', { name: 'app.deploy' }).first().click();
      await page.locator('[data-job-status="succeeded"]').waitFor();
      await page.getByRole('button', { name: /start new release/ }).click();
      await page.getByText('Log — step start new release').waitFor();
      await shot('15b-job-detail');
      await page.getByRole('link', { name: 'Jobs' }).first().click();
    }
    await page.getByRole('link', { name: 'Databases' }).first().click();
    await page.getByRole('heading', { name: 'Databases' }).waitFor();
    await shot('16-databases');
    // The create form defaults to the only server, refuses a bad name before any request, and forgets what
    // was typed when it closes.
    await page.getByRole('button', { name: 'Create database' }).click();
    const create = page.getByRole('dialog', { name: 'Create a database' });
    await create.getByRole('option', { name: SERVER }).waitFor({ state: 'attached' });
    expect(await create.getByLabel('Server', { exact: true }).inputValue()).toBe(SERVER);
    await create.getByLabel('Name', { exact: true }).fill('Bad Name');
    await create.getByRole('button', { name: 'Create database' }).click();
    await create.getByText('Name must be 1-63 characters').waitFor();
    await create.getByRole('button', { name: 'Cancel' }).click();
    await create.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Create database' }).click();
    expect(await create.getByLabel('Name', { exact: true }).inputValue()).toBe('');
    expect(await create.getByText('Name must be 1-63 characters').count()).toBe(0);
    await page.keyboard.press('Escape');
    await create.waitFor({ state: 'detached' });
    await page.getByRole('link', { name: 'Dashboard' }).first().click();
    await page.locator('[data-stat="servers"]').getByText('1').waitFor();
    await shot('17-dashboard');
    // Dark mode follows the system setting.
    await page.emulateMedia({ colorScheme: 'dark' });
    const bg = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    await shot('17b-dashboard-dark');
    await page.emulateMedia({ colorScheme: 'light' });
    expect(bg).not.toBe(await page.evaluate('getComputedStyle(document.body).backgroundColor'));

    // A phone-sized viewport: the menu collapses behind a button.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('button', { name: 'Open menu' }).click();
    await shot('18-phone-menu');
    await page.getByRole('button', { name: 'Log out' }).last().click();
    await page.getByLabel('API key', { exact: true }).waitFor();
    expect(await page.evaluate("localStorage.getItem('infrakt.apiKey')")).toBeNull();
    expect(consoleErrors).toEqual([]);
  });
});
