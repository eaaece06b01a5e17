// Notification channels from the dashboard in real Chromium against `infrakt serve` on loopback: add a signed
// webhook channel and an SMTP channel through the typed form (a bad value refused with the schema's message),
// send a test to each and see it arrive at a real loopback receiver (signature verified) and a real SMTP
// server (the `smtp-server` package, as the notification e2e uses), then remove a channel.
import { createHmac } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { axe } from '../harness/axe.js';
import { launchChromium } from '../harness/chromium.js';
import { cleanupHomes, ensureCliBuilt, ensureWebBuilt, makeInfraktHome, REPO_ROOT, runCli } from '../harness/cli.js';
import { type Served, startServe } from '../harness/serve.js';

const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');
const SECRET = `whsec-${Math.random().toString(36).slice(2)}-abcdefghijkl`;

describe('dashboard: notification channels (Chromium, loopback receivers)', () => {
  let home: string;
  let serve: Served;
  let base = '';
  let browser: Browser;
  let page: Page;
  let smtp: SMTPServer;
  let receiver: Server;
  const mails: { subject: string; to: string; raw: string }[] = [];
  const hooks: { event: string; verified: boolean; body: string }[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    ensureCliBuilt();
    ensureWebBuilt();
    mkdirSync(SHOTS, { recursive: true });

    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, cb) {
        let raw = '';
        stream.on('data', (b: Buffer) => {
          raw += b.toString('utf8');
        });
        stream.on('end', () => {
          const to = session.envelope.rcptTo.map((r) => r.address).join(',');
          mails.push({ subject: /^Subject: (.*)$/m.exec(raw)?.[1] ?? '', to, raw });
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));

    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (b: Buffer) => {
        body += b.toString('utf8');
      });
      req.on('end', () => {
        const ts = String(req.headers['x-infrakt-timestamp'] ?? '');
        const expected = `sha256=${createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}`;
        hooks.push({
          event: String(req.headers['x-infrakt-event'] ?? ''),
          verified: req.headers['x-infrakt-signature'] === expected,
          body,
        });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));

    home = makeInfraktHome();
    serve = await startServe(home);
    base = serve.base;
    const key = readFileSync(join(home, 'api_key'), 'utf8').trim();

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(20_000);
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    await page.addInitScript(`localStorage.setItem('infrakt.apiKey', ${JSON.stringify(key)})`);
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail' && page) {
      const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
      await page.screenshot({ path: join(SHOTS, `failed-notify-${name}.png`), fullPage: true }).catch(() => {});
    }
  });

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    await new Promise((r) => (smtp ? smtp.close(() => r(null)) : r(null)));
    await new Promise((r) => (receiver ? receiver.close(() => r(null)) : r(null)));
    cleanupHomes();
  });

  const openAdd = async () => {
    await page.getByRole('button', { name: 'Add channel' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add a notification channel' });
    await dialog.waitFor();
    return dialog;
  };
  const sendTest = async (name: string) => {
    await page.locator(`tr[data-channel="${name}"]`).getByRole('button', { name: 'Send test' }).click();
    await page.getByText(`${name} answered`).waitFor();
  };

  it('adds a signed webhook channel (a short secret refused by the schema) and a test message arrives signed', async () => {
    await page.goto(`${base}/alerts`);
    await page.getByText('No channels').waitFor();
    const dialog = await openAdd();
    await dialog.getByLabel('Name').fill('ops-hook');
    await dialog.getByLabel('Kind').selectOption('webhook');
    await dialog.getByLabel('URL').fill(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/infrakt`);
    await dialog.getByLabel('Signing secret (optional)').fill('too-short');
    await dialog.getByRole('button', { name: 'Add channel' }).click();
    await dialog.getByText('must be at least 16 characters').first().waitFor();
    expect((await runCli(['notify', 'list', '--json'], { home })).stdout).not.toContain('ops-hook');

    await dialog.getByLabel('Signing secret (optional)').fill(SECRET);
    // Only the chosen events are sent: backup successes stay off by default, deploy failures stay on.
    expect(await dialog.getByLabel('Backup succeeded').isChecked()).toBe(false);
    await dialog.getByLabel('Deploy succeeded').uncheck();
    await dialog.getByRole('button', { name: 'Add channel' }).click();
    await page.getByRole('dialog', { name: 'Channel ops-hook added' }).waitFor();
    // A secret the user gave is not echoed back.
    expect(await page.getByTestId('channel-secret').count()).toBe(0);
    await page.getByRole('button', { name: 'Close', exact: true }).click();
    await page.locator('tr[data-channel="ops-hook"]').waitFor();

    await sendTest('ops-hook');
    await expect.poll(() => hooks.length).toBe(1);
    expect(hooks[0]).toMatchObject({ event: 'test', verified: true });
    const listed = JSON.parse((await runCli(['notify', 'list', '--json'], { home })).stdout) as {
      name: string;
      events: string[];
    }[];
    const hook = listed.find((c) => c.name === 'ops-hook');
    expect(hook?.events).toContain('deploy.failed');
    expect(hook?.events).not.toContain('deploy.succeeded');
    expect(hook?.events).not.toContain('backup.succeeded');
  });

  it('adds an SMTP channel through the email form and the test mail reaches the SMTP server', async () => {
    const dialog = await openAdd();
    await dialog.getByLabel('Name').fill('ops-mail');
    await dialog.getByLabel('Kind').selectOption('email');
    await dialog.getByLabel('SMTP host').fill('127.0.0.1');
    await dialog.getByLabel('SMTP port').fill(String((smtp.server.address() as AddressInfo).port));
    await dialog.getByLabel('Security').selectOption('none');
    await dialog.getByLabel('From').fill('infrakt@ikt.test');
    await dialog.getByLabel('To', { exact: true }).fill('ops@ikt.test, oncall@ikt.test');
    await dialog.getByRole('button', { name: 'Add channel' }).click();
    await page.getByRole('dialog', { name: 'Channel ops-mail added' }).waitFor();
    await page.getByRole('button', { name: 'Close', exact: true }).click();
    await expect.poll(() => page.locator('tr[data-channel="ops-mail"]').textContent()).toContain('ops@ikt.test');

    await sendTest('ops-mail');
    await expect.poll(() => mails.length).toBe(1);
    expect(mails[0]?.to).toBe('ops@ikt.test,oncall@ikt.test');
    expect(mails[0]?.raw).toMatch(/^From: .*infrakt@ikt\.test/m);
    await page.screenshot({ path: join(SHOTS, 'notify-channels.png'), fullPage: true });
  });

  it('the page and the form pass axe-core WCAG 2 A/AA, light and dark', async () => {
    const found: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto(`${base}/alerts`);
      await page.locator('tr[data-channel="ops-mail"]').waitFor();
      found.push(...(await axe(page)).map((v) => `${scheme} page: ${v}`));
      const dialog = await openAdd();
      await dialog.getByLabel('Kind').selectOption('email');
      await dialog.getByLabel('SMTP host').waitFor();
      found.push(...(await axe(page)).map((v) => `${scheme} email form: ${v}`));
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
    }
    await page.emulateMedia({ colorScheme: 'light' });
    expect(found).toEqual([]);
  });

  it('removes a channel after the typed confirmation', async () => {
    await page.locator('tr[data-channel="ops-hook"]').getByRole('button', { name: 'Remove' }).click();
    await page.getByLabel('Type ops-hook to confirm').fill('ops-hook');
    await page.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await page.locator('tr[data-channel="ops-hook"]').waitFor({ state: 'detached' });
    const names = (JSON.parse((await runCli(['notify', 'list', '--json'], { home })).stdout) as { name: string }[]).map(
      (c) => c.name,
    );
    expect(names).toEqual(['ops-mail']);
    expect(pageErrors).toEqual([]);
  });
});
