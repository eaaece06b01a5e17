// The dashboard's certificate editor of a server (ACME contact e-mail, private CA and its root) in real Chromium
// against `infrakt serve`: saved through PATCH /api/servers/{name}/settings, seen by the CLI; a bad value shows
// the API's error and changes nothing; axe-core's WCAG 2 A/AA rules on the page in light and dark mode. The server
// is registered on a closed loopback port: its certificate settings are local state, nothing is reached.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../harness/chromium.js';
import { cleanupHomes, ensureCliBuilt, ensureWebBuilt, makeInfraktHome, REPO_ROOT, runCli } from '../harness/cli.js';
import { makeTls, type TestTls } from '../harness/git-hosts.js';
import { type Served, startServe } from '../harness/serve.js';
import { removeDir } from '../helpers/state.js';

const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SERVER = 'acme-box';

describe('dashboard: certificate settings of a server (Chromium)', () => {
  let home: string;
  let serve: Served;
  let browser: Browser;
  let page: Page;
  let tls: TestTls;
  let base = '';
  const consoleErrors: string[] = [];
  const acmeOf = async () =>
    JSON.parse((await runCli(['server', 'show', SERVER, '--json'], { home })).stdout).acme as unknown;

  beforeAll(async () => {
    ensureCliBuilt();
    ensureWebBuilt();
    mkdirSync(SHOTS, { recursive: true });
    home = makeInfraktHome();
    tls = makeTls(); // a CA certificate (basicConstraints CA:TRUE) to stand for a private ACME CA's root
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    await runCli(['server', 'add', '--name', SERVER, '--host', '127.0.0.1', '--port', String(port)], { home });
    serve = await startServe(home, { args: ['--no-watch'] });
    base = serve.base;
    const key = readFileSync(join(home, 'api_key'), 'utf8').trim();
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(20_000);
    page = await context.newPage();
    page.on('pageerror', (e) => consoleErrors.push(String(e)));
    await page.goto(`${base}/`);
    await page.getByLabel('API key', { exact: true }).fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    if (tls) removeDir(tls.dir);
    cleanupHomes();
  });

  const form = () => page.getByRole('form', { name: 'Certificate settings' });

  it('saves the contact e-mail, a private CA and its root; the CLI sees them', async () => {
    expect(await acmeOf()).toBeNull();
    await page.goto(`${base}/servers/${SERVER}`);
    await form().getByLabel('Contact e-mail').fill('ops@example.com');
    await form().getByLabel('ACME directory of a private CA').fill('https://ca.example.com:9000/acme/acme/directory');
    await form().getByLabel('Root certificate of the private CA (PEM)').fill(tls.cert);
    await form().getByRole('button', { name: 'Save certificate settings' }).click();
    await form().getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect(await acmeOf()).toEqual({
      email: 'ops@example.com',
      ca: 'https://ca.example.com:9000/acme/acme/directory',
      caRoot: true,
    });
    // After a reload the page shows what is stored (the root only as "stored").
    await page.reload();
    await expect.poll(() => form().getByLabel('Contact e-mail').inputValue()).toBe('ops@example.com');
    await form().getByRole('status').filter({ hasText: 'A private CA root is stored' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'server-acme.png'), fullPage: true });
  });

  it('a bad value shows the API error and changes nothing', async () => {
    await form().getByLabel('Contact e-mail').fill('not an address');
    await form().getByRole('button', { name: 'Save certificate settings' }).click();
    await form().getByRole('alert').filter({ hasText: 'must be an e-mail address' }).waitFor();
    await form().getByLabel('Contact e-mail').fill('ops@example.com');
    await form().getByLabel('ACME directory of a private CA').fill('http://plain.example.com/dir');
    await form().getByRole('button', { name: 'Save certificate settings' }).click();
    await form().getByRole('alert').filter({ hasText: 'https:// ACME directory URL' }).waitFor();
    expect(await acmeOf()).toEqual({
      email: 'ops@example.com',
      ca: 'https://ca.example.com:9000/acme/acme/directory',
      caRoot: true,
    });
  });

  it('clearing the CA goes back to Let’s Encrypt and drops the root', async () => {
    await page.reload();
    await form().getByLabel('ACME directory of a private CA').fill('');
    await form().getByRole('button', { name: 'Save certificate settings' }).click();
    await form().getByRole('status').filter({ hasText: 'Saved' }).waitFor();
    expect(await acmeOf()).toEqual({ email: 'ops@example.com', ca: null, caRoot: false });
  });

  it('the page passes axe-core WCAG 2 A/AA, light and dark', async () => {
    const found: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto(`${base}/servers/${SERVER}`);
      await form().waitFor();
      await page.waitForLoadState('networkidle').catch(() => {});
      await page.evaluate(AXE_SOURCE);
      const violations = (await page.evaluate(
        `axe.run(document.querySelector('form[aria-label="Certificate settings"]').closest('section'), { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
           .then((r) => r.violations.map((v) => v.id + ' ' + v.nodes.map((n) => n.target.join(' ')).join(', ')))`,
      )) as string[];
      found.push(...violations.map((v) => `${scheme}: ${v}`));
    }
    expect(found).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });
});
