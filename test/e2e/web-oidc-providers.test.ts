// The dashboard's Sign-in providers page (admin only) in real Chromium against `infrakt serve` on loopback and a
// real OpenID Connect provider (the `oidc-provider` package on 127.0.0.1): an issuer nobody answers at is refused
// with the server's reason and stores nothing; a real one is added through the form (secret in a password field,
// never shown again, an allow rule mapping an email to a role), a new user signs in through it with that role and
// sees no admin pages; the page passes axe-core; removing it after the typed confirmation takes its button away.
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { axe } from '../harness/axe.js';
import { launchChromium } from '../harness/chromium.js';
import { cleanupHomes, ensureCliBuilt, ensureWebBuilt, makeInfraktHome, REPO_ROOT, runCli } from '../harness/cli.js';
import { type OidcProviderHandle, startOidcProvider } from '../harness/oidc-provider.js';
import { type Served, startServe } from '../harness/serve.js';
import { newPage } from '../harness/web-pages.js';

const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');

let home: string;
let serve: Served;
let base = '';
let ownerKey = '';
let browser: Browser;
let admin: Page;
let provider: OidcProviderHandle;
const pageErrors: string[] = [];

const owner = async (path: string, init: RequestInit = {}) =>
  fetch(`${base}${path}`, {
    ...init,
    headers: { ...init.headers, 'X-API-Key': ownerKey, 'Content-Type': 'application/json' },
  });
const storedProviders = async () => (await (await owner('/api/oidc/providers')).json()) as { name: string }[];

/** A loopback port nothing listens on: bound by us, then closed. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

beforeAll(async () => {
  ensureCliBuilt();
  ensureWebBuilt();
  mkdirSync(SHOTS, { recursive: true });
  home = makeInfraktHome();
  serve = await startServe(home);
  base = serve.base;
  ownerKey = serve.key;
  provider = await startOidcProvider({
    redirectUris: [`${base}/api/auth/oidc/corp/callback`],
    accounts: { carol: { email: 'carol@example.test', email_verified: true } },
  });
  browser = await launchChromium();
  admin = await newPage(browser);
  admin.on('pageerror', (e) => pageErrors.push(String(e)));
  await admin.addInitScript(`localStorage.setItem('infrakt.apiKey', ${JSON.stringify(ownerKey)})`);
}, 120_000);

afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail' && admin) {
    const name = ctx.task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    await admin.screenshot({ path: join(SHOTS, `failed-oidc-providers-${name}.png`), fullPage: true }).catch(() => {});
  }
});

afterAll(async () => {
  await browser?.close();
  await serve?.stop();
  await provider?.close();
  cleanupHomes();
});

async function openAdd() {
  await admin.getByRole('button', { name: 'Add provider' }).click();
  const dialog = admin.getByRole('dialog', { name: 'Add a sign-in provider' });
  await dialog.waitFor();
  return dialog;
}

describe('dashboard: sign-in providers (Chromium, real OpenID Connect provider on loopback)', () => {
  it('an admin finds the page in the nav; an issuer that does not answer is refused with the reason, nothing stored', async () => {
    await admin.goto(`${base}/`);
    await admin.getByRole('link', { name: 'Sign-in providers' }).first().click();
    await admin.getByRole('heading', { name: 'Sign-in providers' }).waitFor();
    await admin.getByText('No sign-in providers').waitFor();

    const issuer = `http://127.0.0.1:${await closedPort()}`;
    const dialog = await openAdd();
    await dialog.getByLabel('Name').fill('corp');
    await dialog.getByLabel('Issuer URL').fill(issuer);
    await dialog.getByLabel('Client ID').fill(provider.clientId);
    await dialog.getByLabel('Client secret').fill(provider.clientSecret);
    await dialog.getByRole('button', { name: 'Add provider' }).click();
    const alert = dialog.getByRole('alert');
    await alert.filter({ hasText: `cannot use issuer ${issuer}` }).waitFor();
    // The server's own words: the same request straight to the API gets the message the page shows.
    const direct = await owner('/api/oidc/providers', {
      method: 'POST',
      body: JSON.stringify({ name: 'corp', issuer, clientId: 'x', clientSecret: 'y' }),
    });
    expect(direct.status).toBe(400);
    const err = ((await direct.json()) as { error: { message: string; hint: string } }).error;
    expect(err.message).toMatch(/cannot reach the identity provider/);
    const shown = (await alert.textContent()) ?? '';
    expect(shown).toContain(err.message);
    expect(shown).toContain(err.hint);
    expect(await storedProviders()).toEqual([]);
    await admin.screenshot({ path: join(SHOTS, 'oidc-providers-01-bad-issuer.png'), fullPage: true });
    await admin.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  });

  it('adds the real provider with an allow rule: the redirect URI to register, the secret never shown again', async () => {
    const dialog = await openAdd();
    // The GitHub variant asks for other fields.
    await dialog.getByLabel('Kind').selectOption('github');
    await dialog.getByLabel('API URL (optional)').waitFor();
    expect(await dialog.getByLabel('Issuer URL').count()).toBe(0);
    await dialog.getByLabel('Kind').selectOption('oidc');
    await dialog.getByLabel('Name').fill('corp');
    await dialog.getByLabel('Issuer URL').fill(provider.issuer);
    await dialog.getByLabel('Client ID').fill(provider.clientId);
    await dialog.getByLabel('Client secret').fill(provider.clientSecret);
    expect(await dialog.getByLabel('Client secret').getAttribute('type')).toBe('password');
    await dialog.getByLabel('Button label (optional)').fill('Sign in with Corp');
    await dialog.getByRole('button', { name: 'Add rule' }).click();
    await dialog.getByLabel('Email or @domain (rule 1)').fill('not an email');
    await dialog.getByLabel('Role (rule 1)').selectOption('deployer');
    await dialog.getByRole('button', { name: 'Add provider' }).click();
    // Refused at the boundary with the field named; nothing stored.
    await dialog.getByText(/must be an email address or @domain/).waitFor();
    expect(await storedProviders()).toEqual([]);
    await dialog.getByLabel('Email or @domain (rule 1)').fill('carol@example.test');
    await dialog.getByRole('button', { name: 'Add provider' }).click();

    const done = admin.getByRole('dialog', { name: 'Provider corp added' });
    await done.waitFor();
    expect((await done.getByTestId('redirect-uri').textContent())?.trim()).toBe(`${base}/api/auth/oidc/corp/callback`);
    await done.getByRole('button', { name: 'Done' }).click();
    const row = admin.locator('tr[data-provider="corp"]');
    await row.getByText('carol@example.test → deployer').waitFor();
    expect(await row.textContent()).toContain(provider.issuer);
    expect(await admin.content()).not.toContain(provider.clientSecret);
    // Stored sealed: the API and the CLI list it without the secret.
    const listed = await (await owner('/api/oidc/providers')).text();
    expect(listed).not.toContain(provider.clientSecret);
    const cli = await runCli(['oidc', 'list', '--json'], { home });
    expect(cli.code, cli.stderr).toBe(0);
    expect(JSON.parse(cli.stdout)).toEqual([
      {
        name: 'corp',
        kind: 'oidc',
        label: 'Sign in with Corp',
        issuer: provider.issuer,
        clientId: provider.clientId,
        allow: [{ match: 'carol@example.test', role: 'deployer' }],
      },
    ]);
    await admin.screenshot({ path: join(SHOTS, 'oidc-providers-02-added.png'), fullPage: true });
  });

  it('carol signs in through it, gets the rule’s role, and sees no admin pages', async () => {
    const page = await newPage(browser, { viewport: { width: 1280, height: 860 } });
    await page.goto(`${base}/`);
    await page.getByRole('link', { name: 'Sign in with Corp' }).click();
    await page.locator('input[name="login"]').fill('carol');
    await page.locator('input[name="password"]').fill('any-password');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Dashboard' }).waitFor();
    const me = await page.evaluate(async () => (await fetch('/api/auth/me')).json());
    expect(me).toMatchObject({
      kind: 'user',
      name: expect.any(String),
      role: 'deployer',
      session: { via: 'oidc:corp' },
    });
    await page.getByRole('link', { name: 'Apps' }).first().waitFor();
    expect(await page.getByRole('link', { name: 'Sign-in providers' }).count()).toBe(0);
    const refused = await page.evaluate(async () => (await fetch('/api/oidc/providers')).status);
    expect(refused).toBe(403);
    await page.context().close();
  });

  it('the page and the add form pass axe-core WCAG 2 A/AA, light and dark', async () => {
    const found: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      await admin.emulateMedia({ colorScheme: scheme });
      await admin.goto(`${base}/sign-in-providers`);
      await admin.locator('tr[data-provider="corp"]').waitFor();
      found.push(...(await axe(admin)).map((v) => `${scheme} page: ${v}`));
      const dialog = await openAdd();
      await dialog.getByRole('button', { name: 'Add rule' }).click();
      await dialog.getByLabel('Email or @domain (rule 1)').waitFor();
      found.push(...(await axe(admin)).map((v) => `${scheme} form: ${v}`));
      await dialog.getByLabel('Kind').selectOption('github');
      await dialog.getByLabel('API URL (optional)').waitFor();
      found.push(...(await axe(admin)).map((v) => `${scheme} github form: ${v}`));
      await admin.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
    }
    await admin.emulateMedia({ colorScheme: 'light' });
    expect(found).toEqual([]);
  });

  it('adds the GitHub variant (no discovery: its endpoints are fixed under github.com)', async () => {
    const dialog = await openAdd();
    await dialog.getByLabel('Kind').selectOption('github');
    await dialog.getByLabel('Name').fill('github');
    await dialog.getByLabel('Client ID').fill('Iv1.gh-client');
    await dialog.getByLabel('Client secret').fill('gh-secret-value-1234');
    await dialog.getByRole('button', { name: 'Add provider' }).click();
    await admin.getByRole('dialog', { name: 'Provider github added' }).getByRole('button', { name: 'Done' }).click();
    const row = admin.locator('tr[data-provider="github"]');
    await row.getByText('https://github.com').waitFor();
    expect(await row.textContent()).toContain('Sign in with GitHub');
    const login = (await (await fetch(`${base}/api/auth/providers`)).json()) as { providers: unknown[] };
    expect(login.providers).toEqual([
      { name: 'corp', kind: 'oidc', label: 'Sign in with Corp' },
      { name: 'github', kind: 'github', label: 'Sign in with GitHub' },
    ]);
    expect(await (await owner('/api/oidc/providers')).text()).not.toContain('gh-secret-value-1234');
  });

  it('removes them after the typed confirmation: the login page loses their buttons', async () => {
    const gh = admin.locator('tr[data-provider="github"]');
    await gh.getByRole('button', { name: 'Remove' }).click();
    await admin.getByRole('dialog').getByLabel('Type github to confirm').fill('github');
    await admin.getByRole('dialog').getByRole('button', { name: 'Remove provider' }).click();
    await gh.waitFor({ state: 'detached' });
    const row = admin.locator('tr[data-provider="corp"]');
    await row.getByRole('button', { name: 'Remove' }).click();
    const confirm = admin.getByRole('dialog', { name: 'Remove this sign-in provider?' });
    const button = confirm.getByRole('button', { name: 'Remove provider' });
    await confirm.getByLabel('Type corp to confirm').fill('cor');
    expect(await button.isDisabled()).toBe(true);
    await confirm.getByLabel('Type corp to confirm').fill('corp');
    await button.click();
    await row.waitFor({ state: 'detached' });
    await admin.getByText('No sign-in providers').waitFor();
    expect(await storedProviders()).toEqual([]);
    const login = await (await fetch(`${base}/api/auth/providers`)).json();
    expect(login).toEqual({ password: true, providers: [] });
    expect(pageErrors).toEqual([]);
  });
});
