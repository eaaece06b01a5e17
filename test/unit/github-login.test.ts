// Dashboard sign-in through GitHub's OAuth endpoints (a stand-in built from GitHub's documented shapes, on
// loopback): `oidc add --github`, the code flow with PKCE, and the user picked by a verified email from GitHub's API.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../src/adapters/local/home.js';
import { type RunningServer, startApiServer } from '../../src/api/server.js';
import { addOidcProvider } from '../../src/services/auth/provider-setup.js';
import { addUser } from '../../src/services/users/users.js';
import { type FakeGithub, startFakeGithub } from '../harness/fake-github.js';
import { HttpBrowser } from '../harness/http-browser.js';

let home: string;
let srv: RunningServer;
let gh: FakeGithub;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'ikt-test-github-'));
  srv = await startApiServer({
    port: 0,
    host: '127.0.0.1',
    paths: resolvePaths({ INFRAKT_HOME: home }),
    webRoot: null,
    log: () => {},
  });
  gh = await startFakeGithub();
  await addUser(srv.ctx, { name: 'alice', role: 'viewer', email: 'alice@example.test' });
});

afterAll(async () => {
  await srv?.close();
  await gh?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

async function signIn(b: HttpBrowser): Promise<string | null> {
  const callback = `${srv.url}/api/auth/oidc/github/callback`;
  const cb = await b.travel(`${srv.url}/api/auth/oidc/github/start`, (u) => u.href.startsWith(callback), {});
  const res = await b.request(cb.toString());
  expect(res.status).toBe(302);
  return new URL(res.headers.get('Location') ?? '', srv.url).searchParams.get('login_error');
}

describe('GitHub sign-in', () => {
  it('needs the API URL for a GitHub other than github.com', async () => {
    await expect(
      addOidcProvider(srv.ctx, { name: 'github', kind: 'github', issuer: gh.url, clientId: 'x', clientSecret: 'y' }),
    ).rejects.toThrow(/GitHub Enterprise needs its API URL/);
    const added = await addOidcProvider(srv.ctx, {
      name: 'github',
      kind: 'github',
      issuer: gh.url,
      apiUrl: gh.apiUrl,
      clientId: gh.clientId,
      clientSecret: gh.clientSecret,
    });
    expect(added).toMatchObject({ name: 'github', kind: 'github', label: 'Sign in with GitHub' });
  });

  it('signs in the user whose email GitHub lists as verified', async () => {
    gh.signedIn = {
      login: 'alice-gh',
      emails: [
        { email: 'alice@personal.test', primary: true, verified: true },
        { email: 'alice@example.test', primary: false, verified: true },
      ],
    };
    const b = new HttpBrowser();
    // GitHub hands back its primary verified email: that one has no user, and infrakt says so.
    expect(await signIn(b)).toBe('alice@personal.test has no infrakt account');
    gh.signedIn = { login: 'alice-gh', emails: [{ email: 'alice@example.test', primary: true, verified: true }] };
    expect(await signIn(b)).toBeNull();
    const me = await b.request(`${srv.url}/api/auth/me`);
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ kind: 'user', name: 'alice', session: { via: 'github:github' } });
  });

  it('refuses an account whose emails are all unverified', async () => {
    gh.signedIn = { login: 'mallory', emails: [{ email: 'alice@example.test', primary: true, verified: false }] };
    const b = new HttpBrowser();
    expect(await signIn(b)).toBe('sign-in refused: your GitHub account has no verified email');
    expect(b.cookie(srv.url, 'infrakt_session')).toBeUndefined();
  });
});
