// The dashboard's Sign-in providers page (admin only) in real Chromium against `infrakt serve` on loopback and a
// real OpenID Connect provider (the `oidc-provider` package on 127.0.0.1): an issuer nobody answers at is refused
// with the server's reason and stores nothing; a real one is added through the form (secret in a password field,
// never shown again, an allow rule mapping an email to a role), a new user signs in through it with that role and
// sees no admin pages; the page passes axe-core; removing it after the typed confirmation takes its button away.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../harness/chromium.js';
import { CLI_BIN, cleanupHomes, ensureCliBuilt, makeInfraktHome, REPO_ROOT, runCli } from '../harness/cli.js';
import { type OidcProviderHandle, startOidcProvider } from '../harness/oidc-provider.js';
import { waitFor } from '../harness/sshd.js';

const SHOTS = join(REPO_ROOT, 'test-artifacts', 'screenshots');
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let home: string;
let serve: ChildProcess;
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
  if (!existsSync(join(REPO_ROOT, 'dist', 'web', 'index.html'))) {
    execFileSync(process.execPath, ['scripts/build.mjs', 'web'], { cwd: REPO_ROOT, stdio: 'ignore' });
  }
  mkdirSync(SHOTS, { recursive: true });
  home = makeInfraktHome();
  let out = '';
  serve = spawn(process.execPath, [CLI_BIN, 'serve', '--host', '127.0.0.1', '--port', '0'], {
    cwd: REPO_ROOT,
    env: { ...process.env, INFRAKT_HOME: home, NO_COLOR: '1' },
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
      return base !== '' && existsSync(join(home, 'api_key'));
    },
    30_000,
  );
  ownerKey = readFileSync(join(home, 'api_key'), 'utf8').trim();
  provider = await startOidcProvider({
    redirectUris: [`${base}/api/auth/oidc/corp/callback`],
    accounts: { carol: { email: 'carol@example.test', email_verified: true } },
  });
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(20_000);
  admin = await context.newPage();
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
  if (serve?.exitCode === null) {
    serve.kill('SIGTERM');
    await new Promise((r) => serve.once('exit', r));
  }
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
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    context.setDefaultTimeout(20_000);
    const page = await context.newPage();
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
    await context.close();
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

/** axe-core's WCAG 2.0/2.1 A and AA rules on the page as it is; one line per violating node. */
async function axe(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, which the dashboard's CSP (script-src 'self') does not govern.
  await page.evaluate(AXE_SOURCE);
  const violations = (await page.evaluate(
    `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
       .then((r) => r.violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target.join(' ') + ' ' + (n.failureSummary || '').split('\\n')[1]) })))`,
  )) as { id: string; nodes: string[] }[];
  return violations.flatMap((v) => v.nodes.map((n) => `${v.id} ${n}`));
}
