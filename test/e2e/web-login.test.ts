// A team member signs in to the dashboard in real Chromium against `infrakt serve` on loopback: a wrong password
// is refused, the right one opens the dashboard with an HttpOnly SameSite=Strict cookie (no key in storage), a
// viewer is refused an admin action without being signed out, and "Log out" ends the session on the server.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../harness/chromium.js';
import { cleanupHomes, ensureCliBuilt, ensureWebBuilt, makeInfraktHome, REPO_ROOT, runCli } from '../harness/cli.js';
import { type Served, startServe } from '../harness/serve.js';
import { waitFor } from '../harness/sshd.js';

const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');

let home: string;
let child: Served;
let base = '';
let browser: Browser;
let page: Page;

beforeAll(async () => {
  ensureCliBuilt();
  ensureWebBuilt();
  mkdirSync(SHOTS, { recursive: true });
  home = makeInfraktHome();
  const add = await runCli(['user', 'add', 'vera', '--role', 'viewer'], { home, input: 'vera-password-long' });
  expect(add.code, add.stderr).toBe(0);
  child = await startServe(home, { ready: /reverse proxy/ });
  base = child.base;
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  context.setDefaultTimeout(20_000);
  page = await context.newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await child?.stop();
  cleanupHomes();
});

describe('dashboard sign-in with a user name and password', () => {
  it('refuses a wrong password, signs in with a session cookie, logs out on the server', async () => {
    await page.goto(`${base}/`);
    await page.getByLabel('User name').fill('vera');
    await page.getByLabel('Password', { exact: true }).fill('not-her-password');
    await page.getByRole('button', { name: 'Log in as team member' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong user name or password' }).waitFor();
    expect(await page.context().cookies()).toEqual([]);

    await page.getByLabel('Password', { exact: true }).fill('vera-password-long');
    await page.getByRole('button', { name: 'Log in as team member' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'team-01-user-dashboard.png'), fullPage: true });
    const [cookie] = await page.context().cookies();
    expect(cookie).toMatchObject({ name: 'infrakt_session', httpOnly: true, sameSite: 'Strict' });
    // No credential a script could steal: storage holds only the CSRF token.
    const stored = String(await page.evaluate("localStorage.getItem('infrakt.apiKey')"));
    expect(stored.startsWith('session:')).toBe(true);
    expect(stored).not.toContain(cookie!.value);

    // The page's own session, used from inside the page: a viewer is refused an admin route, and stays signed in.
    const status = await page.evaluate(async (csrf) => {
      const r = await fetch('/api/users', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
        body: JSON.stringify({ name: 'x', role: 'admin', password: 'x-password-long' }),
      });
      return r.status;
    }, stored.slice('session:'.length));
    expect(status).toBe(403);

    await page
      .getByRole('button', { name: /log out/i })
      .first()
      .click();
    await page.getByLabel('User name').waitFor();
    await waitFor(
      'the session to end on the server',
      async () =>
        (
          await fetch(`${base}/api/auth/me`, {
            headers: { Cookie: `infrakt_session=${cookie!.value}` },
          })
        ).status === 401,
      10_000,
    );
  }, 180_000);
});
