// Adding an edge server from the dashboard, in real Chromium against `infrakt serve` on loopback: the control
// host is set up with `infrakt edge setup` (CLI), the servers page's form refuses a bad name before sending and
// shows the API's error for an unknown relay (nothing added), then registers the device, shows its bootstrap
// script once to copy or download (the download is the same script), and the list marks the server `edge ·
// waiting` (no device has dialled in). The control host's keys file then authorises the device's tunnel key.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../harness/chromium.js';
import { cleanupHomes, ensureCliBuilt, ensureWebBuilt, makeInfraktHome, REPO_ROOT, runCli } from '../harness/cli.js';
import { type Served, startServe } from '../harness/serve.js';

const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');
const DEVICE = `pi-${Math.random().toString(36).slice(2, 7)}`;

function ensureBuilt(): void {
  ensureCliBuilt();
  ensureWebBuilt();
}

describe('edge server from the dashboard (Chromium)', () => {
  let home: string;
  let served: Served;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    ensureBuilt();
    mkdirSync(SHOTS, { recursive: true });
    home = makeInfraktHome();
    // The control host as meeting point: its sshd host key is only read (devices would pin it), never dialled here.
    const hostKey = join(home, 'ssh_host_ed25519_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
    const setup = await runCli(
      ['edge', 'setup', '--endpoint', '127.0.0.1:22', '--host-key-file', `${hostKey}.pub`, '--tunnel-user', 'ikte2e'],
      { home },
    );
    expect(setup.code, setup.stderr).toBe(0);
    served = await startServe(home);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    context.setDefaultTimeout(20_000);
    page = await context.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
  }, 180_000);

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && page)
      await page.screenshot({ path: join(SHOTS, 'failed-edge.png'), fullPage: true }).catch(() => {});
  });

  afterAll(async () => {
    await browser?.close();
    await served?.stop();
    cleanupHomes();
  });

  it('adds an edge server, hands over its bootstrap script once, and lists it as edge · waiting', async () => {
    await page.goto(`${served.base}/`);
    await page.getByLabel('API key', { exact: true }).fill(served.key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Servers' }).click();
    await page.getByText('No servers yet').waitFor();

    await page.getByRole('button', { name: 'Add edge server' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add an edge server' });
    await dialog.waitFor();
    // Checked in the page first: nothing is sent for a bad name.
    await dialog.getByLabel('Name', { exact: true }).fill('Bad Name');
    await dialog.getByRole('button', { name: 'Add edge server' }).click();
    await dialog.getByText('Name must be 1-63 characters').waitFor();
    // The API's refusal is shown, and nothing is added.
    await dialog.getByLabel('Name', { exact: true }).fill(DEVICE);
    await dialog.getByLabel('Relay', { exact: true }).fill('no-such-relay');
    await dialog.getByRole('button', { name: 'Add edge server' }).click();
    await dialog
      .getByText(/relay 'no-such-relay' not found|no-such-relay/)
      .first()
      .waitFor();
    const none = await runCli(['server', 'list', '--json'], { home });
    expect(JSON.parse(none.stdout)).toEqual([]);

    await dialog.getByLabel('Relay', { exact: true }).fill('');
    await dialog.getByLabel('Device SSH port', { exact: true }).fill('2200');
    await page.screenshot({ path: join(SHOTS, 'edge-01-form.png'), fullPage: true });
    await dialog.getByRole('button', { name: 'Add edge server' }).click();

    const boot = page.getByRole('dialog', { name: 'Bootstrap the device' });
    await boot.waitFor();
    const script = await boot.getByLabel(`Bootstrap script for ${DEVICE}`).inputValue();
    expect(script).toMatch(/^#!\/bin\/sh/);
    expect(script).toContain('BEGIN OPENSSH PRIVATE KEY');
    expect(await boot.locator('[data-edge]').getAttribute('data-edge')).toBe('waiting');
    await page.screenshot({ path: join(SHOTS, 'edge-02-bootstrap.png'), fullPage: true });
    // The download is the very script shown.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      boot.getByRole('link', { name: 'Download' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`infrakt-edge-${DEVICE}.sh`);
    const saved = join(home, 'downloaded.sh');
    await download.saveAs(saved);
    expect(readFileSync(saved, 'utf8')).toBe(script);
    await boot.getByRole('button', { name: 'Done' }).click();
    await boot.waitFor({ state: 'detached' });

    const row = page.locator(`tr[data-server="${DEVICE}"]`);
    await row.locator('[data-edge="waiting"]').waitFor();
    expect(await row.locator('[data-edge]').textContent()).toBe('edge · waiting');
    await page.screenshot({ path: join(SHOTS, 'edge-03-servers.png'), fullPage: true });

    // The same state as `server add --edge` leaves: the device's key authorised for its own port only.
    const list = JSON.parse((await runCli(['server', 'list', '--json'], { home })).stdout) as {
      name: string;
      edge: { tunnelPort: number; deviceSshPort: number; tunnel: string } | null;
    }[];
    expect(list).toHaveLength(1);
    expect(list[0]?.edge).toMatchObject({ deviceSshPort: 2200, tunnel: 'waiting' });
    const keys = readFileSync(join(home, 'edge', 'authorized_keys'), 'utf8');
    expect(keys).toContain(`permitlisten="127.0.0.1:${list[0]?.edge?.tunnelPort}"`);
    expect(keys).toContain(`infrakt-edge:${DEVICE}`);
    // The script is not kept: the server's view over the API never carries it again.
    const view = await fetch(`${served.base}/api/servers/${DEVICE}`, { headers: { 'X-API-Key': served.key } });
    expect(await view.text()).not.toContain('PRIVATE KEY');
    expect(errors).toEqual([]);
  }, 120_000);
});
