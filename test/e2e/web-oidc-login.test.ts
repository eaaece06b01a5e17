// OpenID Connect sign-in in real Chromium: `infrakt oidc add` (the built CLI, secret on stdin) configures a real
// provider (the `oidc-provider` package on 127.0.0.1), the login page shows its button, and a click signs alice in
// through the provider's own login and consent pages. A wrong state and an unknown user land back on the login page
// with the reason and no session cookie; `oidc remove` takes the button away.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../harness/chromium.js';
import { cleanupHomes, ensureCliBuilt, ensureWebBuilt, makeInfraktHome, REPO_ROOT, runCli } from '../harness/cli.js';
import { type OidcProviderHandle, startOidcProvider } from '../harness/oidc-provider.js';
import { type Served, startServe } from '../harness/serve.js';

const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');

let home: string;
let child: Served;
let base = '';
let browser: Browser;
let provider: OidcProviderHandle;

beforeAll(async () => {
  ensureCliBuilt();
  ensureWebBuilt();
  mkdirSync(SHOTS, { recursive: true });
  home = makeInfraktHome();
  const add = await runCli(
    ['user', 'add', 'alice', '--role', 'deployer', '--email', 'alice@example.test', '--no-password'],
    { home },
  );
  expect(add.code, add.stderr).toBe(0);
  child = await startServe(home, { ready: /reverse proxy/ });
  base = child.base;
  provider = await startOidcProvider({
    redirectUris: [`${base}/api/auth/oidc/corp/callback`],
    accounts: {
      alice: { email: 'alice@example.test', email_verified: true },
      stranger: { email: 'stranger@example.test', email_verified: true },
    },
  });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await child?.stop();
  await provider?.close();
  cleanupHomes();
});

async function freshPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  context.setDefaultTimeout(20_000);
  return context.newPage();
}

/** From the login page through the provider's login and consent pages, as `account`. */
async function signInAtProvider(page: Page, account: string): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByRole('link', { name: 'Sign in with Corp' }).click();
  await page.locator('input[name="login"]').fill(account);
  await page.locator('input[name="password"]').fill('any-password');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
}

const sessionCookie = async (page: Page) => (await page.context().cookies()).find((c) => c.name === 'infrakt_session');

describe('infrakt oidc (CLI)', () => {
  it('adds a provider with the secret on stdin, refuses a plain-http remote issuer before asking for one', async () => {
    const bad = await runCli(['oidc', 'add', 'bad', '--issuer', 'http://login.example.com', '--client-id', 'x'], {
      home,
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/must use https/);

    const add = await runCli(
      [
        'oidc',
        'add',
        'corp',
        '--issuer',
        provider.issuer,
        '--client-id',
        provider.clientId,
        '--label',
        'Sign in with Corp',
      ],
      { home, input: `${provider.clientSecret}\n` },
    );
    expect(add.code, add.stderr).toBe(0);
    expect(add.stdout + add.stderr).toContain('/api/auth/oidc/corp/callback');
    const list = await runCli(['oidc', 'list', '--json'], { home });
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ name: 'corp', kind: 'oidc', issuer: provider.issuer, clientId: provider.clientId }),
    ]);
    for (const r of [add, list]) expect(r.stdout + r.stderr).not.toContain(provider.clientSecret);
  });
});

describe('signing in to the dashboard through the provider (Chromium)', () => {
  it('signs alice in: the provider button, its login and consent pages, back to the dashboard with a session', async () => {
    const page = await freshPage();
    await signInAtProvider(page, 'alice');
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    expect(page.url()).toBe(`${base}/`);
    await page.screenshot({ path: join(SHOTS, 'oidc-01-signed-in.png'), fullPage: true });
    expect(await sessionCookie(page)).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    const me = await page.evaluate(async () => (await fetch('/api/auth/me')).json());
    expect(me).toMatchObject({ kind: 'user', name: 'alice', role: 'deployer', session: { via: 'oidc:corp' } });
    await page.context().close();
  });

  it('refuses a wrong state: back on the login page with the reason, no session', async () => {
    const page = await freshPage();
    await page.goto(`${base}/`);
    // The flow starts (its cookie is set), but the browser comes back with a state infrakt never issued.
    await page.goto(`${base}/api/auth/oidc/corp/start`);
    await page.locator('input[name="login"]').waitFor();
    await page.goto(`${base}/api/auth/oidc/corp/callback?code=forged-code&state=forged-state`);
    await page.getByRole('alert').filter({ hasText: 'sign-in refused: unknown or already used state' }).waitFor();
    expect(page.url()).toBe(`${base}/`);
    expect(await sessionCookie(page)).toBeUndefined();
    await page.context().close();
  });

  it('refuses a verified email that belongs to no user', async () => {
    const page = await freshPage();
    await signInAtProvider(page, 'stranger');
    await page.getByRole('alert').filter({ hasText: 'stranger@example.test has no infrakt account' }).waitFor();
    await page.screenshot({ path: join(SHOTS, 'oidc-02-unknown-user.png'), fullPage: true });
    expect(await sessionCookie(page)).toBeUndefined();
    await page.context().close();
  });

  it('oidc remove takes the button away', async () => {
    const rm = await runCli(['oidc', 'remove', 'corp', '--yes'], { home });
    expect(rm.code, rm.stderr).toBe(0);
    const page = await freshPage();
    const answered = page.waitForResponse((r) => r.url() === `${base}/api/auth/providers`);
    await page.goto(`${base}/`);
    expect(await (await answered).json()).toEqual({ password: true, providers: [] });
    await page.getByRole('button', { name: 'Log in as team member' }).waitFor();
    expect(await page.getByRole('link', { name: 'Sign in with Corp' }).count()).toBe(0);
    await page.context().close();
  });
});
