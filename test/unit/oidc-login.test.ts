// Dashboard sign-in through a REAL OpenID Connect provider (the `oidc-provider` package on 127.0.0.1) against the
// API on a real loopback port. A small HTTP browser follows the redirects and fills the provider's login and consent
// pages. Success gives the session cookie of a password sign-in; a wrong state, a replayed code, an unverified
// email, an unknown email and an ID token signed by a key the provider does not publish are refused with a clear
// message and no session. Adding a provider reads and checks its discovery document; its secret is never shown.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../src/adapters/local/home.js';
import { loadApiKey } from '../../src/adapters/secrets/api-key.js';
import { type RunningServer, startApiServer } from '../../src/api/server.js';
import { saveProvider } from '../../src/services/auth/providers.js';
import { addUser } from '../../src/services/users/users.js';
import { HttpBrowser } from '../harness/http-browser.js';
import { type OidcProviderHandle, startOidcProvider } from '../harness/oidc-provider.js';

let home: string;
let srv: RunningServer;
let key: string;
let corp: OidcProviderHandle;
let rogue: OidcProviderHandle;

const ACCOUNTS = {
  alice: { email: 'alice@example.test', email_verified: true },
  uma: { email: 'uma@example.test', email_verified: false },
  stranger: { email: 'stranger@example.test', email_verified: true },
};

const admin = (path: string, init: RequestInit = {}) =>
  fetch(`${srv.url}${path}`, {
    ...init,
    headers: { 'X-API-Key': key, 'Content-Type': 'application/json', ...(init.headers ?? {}) },
    signal: AbortSignal.timeout(30_000),
  });

const addProvider = (body: Record<string, unknown>) =>
  admin('/api/oidc/providers', { method: 'POST', body: JSON.stringify(body) });

/** A loopback port nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'ikt-test-oidc-'));
  srv = await startApiServer({
    port: 0,
    host: '127.0.0.1',
    paths: resolvePaths({ INFRAKT_HOME: home }),
    webRoot: null,
    log: () => {},
  });
  key = loadApiKey(srv.apiKeyFile);
  const callbacks = ['corp', 'rogue', 'open'].map((n) => `${srv.url}/api/auth/oidc/${n}/callback`);
  corp = await startOidcProvider({ redirectUris: callbacks, accounts: ACCOUNTS });
  rogue = await startOidcProvider({ redirectUris: callbacks, accounts: ACCOUNTS, rogueKeys: true });
  await addUser(srv.ctx, { name: 'alice', role: 'deployer', email: 'alice@example.test' });
  await addUser(srv.ctx, { name: 'uma', role: 'viewer', email: 'uma@example.test' });
});

afterAll(async () => {
  await srv?.close();
  await corp?.close();
  await rogue?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

/** Start at infrakt, sign in at the provider as `account`, and stop at the callback (not yet requested). */
async function toCallback(b: HttpBrowser, provider: string, account: string): Promise<URL> {
  const callback = `${srv.url}/api/auth/oidc/${provider}/callback`;
  return b.travel(`${srv.url}/api/auth/oidc/${provider}/start`, (u) => u.href.startsWith(callback), {
    login: account,
    password: 'any-password',
  });
}

/** Request the callback: infrakt answers a redirect to the dashboard, with ?login_error= when it refused. */
async function finish(b: HttpBrowser, callback: URL): Promise<{ location: string; error: string | null }> {
  const res = await b.request(callback.toString());
  expect(res.status).toBe(302);
  const location = res.headers.get('Location') ?? '';
  return { location, error: new URL(location, srv.url).searchParams.get('login_error') };
}

/** `/api/auth/me` with the browser's cookies. */
async function whoAmI(b: HttpBrowser): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await b.request(`${srv.url}/api/auth/me`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function expectNoSession(b: HttpBrowser) {
  expect(b.cookie(srv.url, 'infrakt_session')).toBeUndefined();
  expect((await whoAmI(b)).status).toBe(401);
}

describe('configuring a provider', () => {
  it('adds a provider after reading its discovery document; the client secret is never shown or logged', async () => {
    const res = await addProvider({
      name: 'corp',
      issuer: corp.issuer,
      clientId: corp.clientId,
      clientSecret: corp.clientSecret,
      label: 'Sign in with Corp',
    });
    const text = await res.text();
    expect(res.status, text).toBe(201);
    expect(JSON.parse(text)).toMatchObject({
      name: 'corp',
      kind: 'oidc',
      issuer: corp.issuer,
      clientId: corp.clientId,
    });
    expect(text).not.toContain(corp.clientSecret);
    const added = await addProvider({
      name: 'rogue',
      issuer: rogue.issuer,
      clientId: rogue.clientId,
      clientSecret: rogue.clientSecret,
    });
    expect(added.status, await added.text()).toBe(201);

    const list = await (await admin('/api/oidc/providers')).text();
    expect(JSON.parse(list).map((p: { name: string }) => p.name)).toEqual(['corp', 'rogue']);
    expect(list).not.toContain(corp.clientSecret);
    const pub = await (await fetch(`${srv.url}/api/auth/providers`)).json();
    expect(pub).toEqual({
      password: true,
      providers: [
        { name: 'corp', kind: 'oidc', label: 'Sign in with Corp' },
        { name: 'rogue', kind: 'oidc', label: 'Sign in with rogue' },
      ],
    });
    const audit = await (await admin('/api/audit?limit=200')).text();
    expect(audit).toContain('/api/oidc/providers');
    expect(audit).not.toContain(corp.clientSecret);
    // Sealed at rest too: the stored row does not hold the secret in clear.
    const row = await srv.ctx.store.db
      .selectFrom('oidc_providers')
      .selectAll()
      .where('name', '=', 'corp')
      .executeTakeFirst();
    expect(row?.config_enc).toBeTruthy();
    expect(row?.config_enc).not.toContain(corp.clientSecret);
  });

  it('refuses a bad issuer with a clear error and stores nothing', async () => {
    const base = { clientId: 'x', clientSecret: 'y' };
    const cases: [Record<string, unknown>, RegExp][] = [
      // Plain http is for this machine only (checked before any request is made).
      [{ name: 'plain', issuer: 'http://login.example.com', ...base }, /must use https/],
      [
        { name: 'closed', issuer: `http://127.0.0.1:${await closedPort()}`, ...base },
        /cannot use issuer .*: cannot reach the identity provider \(discovery document\): ECONNREFUSED/,
      ],
      // The provider announces its issuer without the slash: an exact match is required.
      [{ name: 'slash', issuer: `${corp.issuer}/`, ...base }, /says its issuer is/],
      [{ name: 'corp', issuer: corp.issuer, ...base }, /already exists/],
      [{ name: 'Bad Name', issuer: corp.issuer, ...base }, /name/],
    ];
    for (const [body, message] of cases) {
      const res = await addProvider(body);
      const err = ((await res.json()) as { error: { code: string; message: string } }).error;
      expect([body.name, res.status >= 400, err.message]).toEqual([body.name, true, expect.stringMatching(message)]);
    }
    const names = ((await (await admin('/api/oidc/providers')).json()) as { name: string }[]).map((p) => p.name);
    expect(names).toEqual(['corp', 'rogue']);
  });
});

describe('signing in through the provider', () => {
  let aliceCallback: URL;

  it('a verified email of an existing user gets a dashboard session, like a password sign-in', async () => {
    const b = new HttpBrowser();
    aliceCallback = await toCallback(b, 'corp', 'alice');
    expect(aliceCallback.searchParams.get('code')).toBeTruthy();
    const { location, error } = await finish(b, aliceCallback);
    expect(error).toBeNull();
    expect(location).toBe('/?signed_in=1');
    expect(b.cookie(srv.url, 'infrakt_session')).toBeTruthy();
    const me = await whoAmI(b);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ kind: 'user', name: 'alice', role: 'deployer' });
    expect((me.body.session as { via: string }).via).toBe('oidc:corp');
    expect(me.body.csrfToken).toEqual(expect.any(String));
  });

  it('refuses a replayed callback (the state is single use) and a replayed code under a fresh state', async () => {
    const attacker = new HttpBrowser();
    const same = await finish(attacker, aliceCallback);
    expect(same.error).toMatch(/sign-in refused: unknown or already used state/);
    await expectNoSession(attacker);

    // The attacker starts a flow of their own (fresh state, flow cookie), then brings alice's used code.
    const start = await attacker.request(`${srv.url}/api/auth/oidc/corp/start`);
    expect(start.status).toBe(302);
    const state = new URL(start.headers.get('Location') ?? '').searchParams.get('state') ?? '';
    const replay = new URL(aliceCallback);
    replay.searchParams.set('state', state);
    const r = await finish(attacker, replay);
    expect(r.error).toMatch(/identity provider refused the code exchange.*invalid_grant/);
    await expectNoSession(attacker);
  });

  it('two callbacks sent at once with one state: one session, the other refused as a used state', async () => {
    const b = new HttpBrowser();
    const cb = await toCallback(b, 'corp', 'alice');
    const results = await Promise.all([finish(b, cb), finish(b, cb)]);
    expect(results.filter((r) => r.error === null).length).toBe(1);
    expect(results.map((r) => r.error).filter(Boolean)).toEqual(['sign-in refused: unknown or already used state']);
  });

  it('refuses a wrong state', async () => {
    const b = new HttpBrowser();
    const cb = await toCallback(b, 'corp', 'alice');
    cb.searchParams.set('state', 'forged-state-value');
    const r = await finish(b, cb);
    expect(r.error).toMatch(/sign-in refused: unknown or already used state/);
    await expectNoSession(b);
  });

  it('refuses a callback carried to another browser (the flow cookie binds it)', async () => {
    const cb = await toCallback(new HttpBrowser(), 'corp', 'alice');
    const other = new HttpBrowser();
    const r = await finish(other, cb);
    expect(r.error).toMatch(/state from another browser/);
    await expectNoSession(other);
  });

  it('refuses an email the provider does not vouch for', async () => {
    const b = new HttpBrowser();
    const r = await finish(b, await toCallback(b, 'corp', 'uma'));
    expect(r.error).toMatch(/the provider vouches for no verified email/);
    await expectNoSession(b);
  });

  it('refuses a verified email that belongs to no user (no account is created)', async () => {
    const b = new HttpBrowser();
    const r = await finish(b, await toCallback(b, 'corp', 'stranger'));
    expect(r.error).toBe('stranger@example.test has no infrakt account');
    await expectNoSession(b);
    const users = await srv.ctx.store.db.selectFrom('users').select('name').execute();
    expect(users.map((u) => u.name).sort()).toEqual(['alice', 'uma']);
  });

  it('refuses an ID token whose signature the provider key set does not vouch for', async () => {
    const b = new HttpBrowser();
    const r = await finish(b, await toCallback(b, 'rogue', 'alice'));
    expect(r.error).toMatch(/ID token was refused: bad signature/);
    await expectNoSession(b);
  });

  it('with an allow rule for the domain, a verified email without a user gets a new user with the rule role', async () => {
    const res = await addProvider({
      name: 'open',
      issuer: corp.issuer,
      clientId: corp.clientId,
      clientSecret: corp.clientSecret,
      allow: [{ match: '@example.test', role: 'viewer' }],
    });
    expect(res.status, await res.text()).toBe(201);
    const b = new HttpBrowser();
    const r = await finish(b, await toCallback(b, 'open', 'stranger'));
    expect(r.error).toBeNull();
    const me = await whoAmI(b);
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ kind: 'user', name: 'stranger', role: 'viewer' });
    // An allow rule never lends a verified-email check: the unverified address is still refused.
    const u = new HttpBrowser();
    expect((await finish(u, await toCallback(u, 'open', 'uma'))).error).toMatch(/no verified email/);
    await expectNoSession(u);
  });

  it('an unknown provider or an unreachable one sends the browser back to the login page with the reason', async () => {
    const b = new HttpBrowser();
    const unknown = await b.request(`${srv.url}/api/auth/oidc/nobody/start`);
    expect(unknown.status).toBe(302);
    expect(new URL(unknown.headers.get('Location') ?? '', srv.url).searchParams.get('login_error')).toMatch(
      /sign-in provider.*nobody/,
    );
    expect(b.cookie(srv.url, 'infrakt_oidc')).toBeUndefined();

    // Saved while it answered, gone now (its port closed): the discovery cannot be read.
    await saveProvider(srv.ctx, 'gone', {
      kind: 'oidc',
      label: 'Gone',
      issuer: `http://127.0.0.1:${await closedPort()}`,
      clientId: 'x',
      clientSecret: 'y',
    });
    const gone = await b.request(`${srv.url}/api/auth/oidc/gone/start`);
    expect(gone.status).toBe(302);
    expect(new URL(gone.headers.get('Location') ?? '', srv.url).searchParams.get('login_error')).toMatch(
      /cannot reach the identity provider \(discovery document\): ECONNREFUSED/,
    );
    await expectNoSession(b);
  });

  it('records each sign-in, refused or not, in the audit log', async () => {
    const rows = await srv.ctx.store.db
      .selectFrom('audit_events')
      .select(['actor', 'target', 'result', 'details_json'])
      .where('action', '=', 'auth.login')
      .execute();
    expect(rows.filter((r) => r.result === 'ok').map((r) => [r.actor, r.target])).toEqual([
      ['alice', 'alice'],
      ['alice', 'alice'],
      ['stranger', 'stranger'],
    ]);
    const refused = rows.filter((r) => r.result !== 'ok');
    expect(refused.length).toBe(9);
    expect(new Set(refused.map((r) => r.result))).toEqual(new Set(['UNAUTHORIZED', 'FORBIDDEN']));
  });
});
