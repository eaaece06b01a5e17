// The API face of `app update`, private git access and registries: the same services as the CLI, on a real
// SQLite state, with no server reachable (nothing here needs one: the app was never deployed).
import { afterEach, describe, expect, it } from 'vitest';
import { appSettings } from '../../src/services/apps/app-settings.js';
import { resolveApp } from '../../src/services/apps/apps.js';
import {
  deployKeySecret,
  gitTokenSecret,
  inheritedGitAccess,
  patchAppSettings,
} from '../../src/services/apps/git-access.js';
import { type ApiFixture, apiFixture, body } from './api-fixture.js';

let f: ApiFixture;
afterEach(async () => {
  await f?.cleanup();
});

async function setup() {
  f = apiFixture();
  await f.req('/api/servers', { method: 'POST', json: { name: 'web-1', host: '203.0.113.5' } });
  const app = await f.req('/api/apps', {
    method: 'POST',
    json: { server: 'web-1', name: 'api', image: 'nginx:alpine' },
  });
  expect(app.status).toBe(201);
}
const settings = async (app = 'api') => body(await f.req(`/api/apps/${app}/settings`));

describe('PATCH /api/apps/{name} and GET …/settings', () => {
  it('stores domains, limits, restart policy, volumes and the release command; the view shows them', async () => {
    await setup();
    expect(await settings()).toMatchObject({
      domains: [],
      wwwRedirect: false,
      memory: null,
      cpus: null,
      restart: 'unless-stopped',
      volumes: [],
      releaseCommand: null,
      preBackupHook: null,
      git: null,
    });
    const res = await f.req('/api/apps/api', {
      method: 'PATCH',
      json: {
        domains: ['a.example.com', 'b.example.com'],
        wwwRedirect: true,
        memory: '256m',
        cpus: 0.5,
        restart: 'on-failure:3',
        volumes: ['data:/data', './uploads:/srv/uploads:ro'],
        releaseCommand: 'npm run migrate',
        preBackupHook: 'pg_dump -U app -f /data/dump.sql app',
        healthTimeout: 30,
      },
    });
    expect(res.status).toBe(200);
    const r = await body(res);
    expect(r.routes).toBe('stored');
    expect(r.changed.length).toBeGreaterThanOrEqual(7);
    expect((await body(await f.req('/api/apps/api'))).domains).toEqual(['a.example.com', 'b.example.com']);
    expect(await settings()).toMatchObject({
      domains: ['a.example.com', 'b.example.com'],
      wwwRedirect: true,
      memory: '256m',
      cpus: 0.5,
      restart: 'on-failure:3',
      releaseCommand: 'npm run migrate',
      preBackupHook: 'pg_dump -U app -f /data/dump.sql app',
      health: { timeoutMs: 30_000 },
      volumes: [
        { kind: 'named', source: 'data', path: '/data', readOnly: false, spec: 'data:/data' },
        { kind: 'bind', source: './uploads', path: '/srv/uploads', readOnly: true, spec: './uploads:/srv/uploads:ro' },
      ],
    });
    // null removes a limit and the release command.
    await f.req('/api/apps/api', {
      method: 'PATCH',
      json: { memory: null, cpus: null, releaseCommand: null, preBackupHook: null },
    });
    expect(await settings()).toMatchObject({ memory: null, cpus: null, releaseCommand: null, preBackupHook: null });
  });

  it.each([
    [{ memory: '12x' }],
    [{ memory: '1k' }],
    [{ cpus: -1 }],
    [{ restart: 'sometimes' }],
    [{ volumes: ['../etc:/x'] }],
    [{ volumes: ['data:relative'] }],
    [{ volumes: ['data:/a', 'other:/a'] }],
    [{ domains: ['a.example.com', 'a.example.com'] }],
    [{ domains: ['not a domain'] }],
    [{ releaseCommand: 'a\nb' }],
    [{ preBackupHook: 'pg_dump\nrm -rf /' }],
    [{ preBackupHook: '' }],
    [{ port: 70000 }],
    [{ gitHostKey: 'ssh-ed25519 AAAA' }],
    [{ memory: '64m', port: 0 }],
    [{}],
  ])('%j → 400 and nothing changes', async (patch) => {
    await setup();
    const before = await settings();
    const res = await f.req('/api/apps/api', { method: 'PATCH', json: patch });
    expect(res.status).toBe(400);
    expect((await body(res)).error.code).toBe('VALIDATION');
    expect(await settings()).toEqual(before);
  });

  it('a domain another app routes is a 409 naming it', async () => {
    await setup();
    await f.req('/api/apps', {
      method: 'POST',
      json: { server: 'web-1', name: 'other', image: 'nginx', domain: 'x.example.com' },
    });
    const res = await f.req('/api/apps/api', {
      method: 'PATCH',
      json: { domains: ['y.example.com', 'x.example.com'] },
    });
    expect(res.status).toBe(409);
    expect((await body(res)).error.message).toContain("'other'");
    expect((await settings()).domains).toEqual([]);
  });
});

describe('private git access over the API', () => {
  it('an SSH source gets a deploy key (public half only), rotated on POST; a host key can be pinned', async () => {
    await setup();
    const created = await f.req('/api/apps', {
      method: 'POST',
      json: { server: 'web-1', name: 'repo', git: 'git@github.com:org/repo.git' },
    });
    expect(created.status).toBe(201);
    const key = await body(await f.req('/api/apps/repo/deploy-key'));
    expect(key.publicKey).toMatch(/^ssh-ed25519 AAAA[A-Za-z0-9+/]+ infrakt-deploy /);
    expect(key.fingerprint).toMatch(/^SHA256:/);
    expect(JSON.stringify(key)).not.toContain('PRIVATE');
    expect((await settings('repo')).git).toMatchObject({ kind: 'ssh', deployKey: key.publicKey, hostKeys: [] });
    const rotated = await body(await f.req('/api/apps/repo/deploy-key', { method: 'POST' }));
    expect(rotated.created).toBe(true);
    expect(rotated.publicKey).not.toBe(key.publicKey);

    const fp = `SHA256:${'A'.repeat(43)}`;
    expect((await f.req('/api/apps/repo', { method: 'PATCH', json: { gitHostKey: fp } })).status).toBe(200);
    // An image app has no git access to show or set.
    expect((await f.req('/api/apps/api/deploy-key')).status).toBeGreaterThanOrEqual(400);
  });

  it('an https token is stored sealed and never returned', async () => {
    await setup();
    await f.req('/api/apps', {
      method: 'POST',
      json: { server: 'web-1', name: 'site', git: 'https://github.com/org/site.git' },
    });
    const token = 'ghp_secretsecretsecret123';
    const res = await f.req('/api/apps/site', { method: 'PATCH', json: { gitToken: token, gitUsername: 'bot' } });
    expect(res.status).toBe(200);
    expect(JSON.stringify(await body(res))).not.toContain(token);
    const s = await settings('site');
    expect(s.git).toMatchObject({ kind: 'https', token: { username: 'bot' } });
    expect(JSON.stringify(s)).not.toContain(token);
    await f.req('/api/apps/site', { method: 'PATCH', json: { gitToken: null } });
    expect((await settings('site')).git.token).toBeNull();
  });
});

describe('git access of a preview app', () => {
  it('is the parent’s deploy key, host keys and token, sealed again under the preview’s own id', async () => {
    await setup();
    const resolve = async (name: string) => (await resolveApp(f.ctx, name)).app;
    for (const [name, git] of [
      ['repo', 'git@github.com:org/repo.git'],
      ['repo-pr-1', 'git@github.com:org/repo.git'],
      ['site', 'https://github.com/org/site.git'],
      ['site-pr-1', 'https://github.com/org/site.git'],
    ]) {
      expect((await f.req('/api/apps', { method: 'POST', json: { server: 'web-1', name, git } })).status).toBe(201);
    }
    const fp = `SHA256:${'A'.repeat(43)}`;
    await f.req('/api/apps/repo', { method: 'PATCH', json: { gitHostKey: fp } });
    const token = 'ghp_secretsecretsecret123';
    await f.req('/api/apps/site', { method: 'PATCH', json: { gitToken: token, gitUsername: 'bot' } });

    for (const [parentName, childName] of [
      ['repo', 'repo-pr-1'],
      ['site', 'site-pr-1'],
    ] as const) {
      const parent = await resolve(parentName);
      const child = await resolve(childName);
      const git = inheritedGitAccess(f.ctx, parent, child.id);
      await patchAppSettings(f.ctx, child.id, (st) => ({ ...st, ...(git ? { git } : {}) }));
    }
    const [repo, repoPr, site, sitePr] = await Promise.all(
      ['repo', 'repo-pr-1', 'site', 'site-pr-1'].map((n) => resolve(n)),
    );
    expect(deployKeySecret(f.ctx, repoPr!)!.reveal()).toBe(deployKeySecret(f.ctx, repo!)!.reveal());
    expect(appSettings(repoPr!).git).toMatchObject({ hostKeyFingerprint: fp });
    // Sealed under its own id: the parent's blob is not copied (it would not open for another app).
    expect(appSettings(repoPr!).git!.deployKey!.sealed).not.toBe(appSettings(repo!).git!.deployKey!.sealed);
    expect((await settings('repo-pr-1')).git.deployKey).toBe((await settings('repo')).git.deployKey);
    const t = gitTokenSecret(f.ctx, sitePr!)!;
    expect([t.username, t.token.reveal()]).toEqual(['bot', token]);
    expect(appSettings(sitePr!).git!.token!.sealed).not.toBe(appSettings(site!).git!.token!.sealed);
    expect(JSON.stringify(await settings('site-pr-1'))).not.toContain(token);
  });
});

describe('registries over the API', () => {
  it('bad input is a 400 before any job; the list starts empty', async () => {
    await setup();
    expect(await body(await f.req('/api/servers/web-1/registries'))).toEqual([]);
    for (const json of [
      { host: 'https://x/y', username: 'u', password: 'p' },
      { host: 'ghcr.io', username: 'u', password: '' },
      { host: 'ghcr.io', username: 'bad user', password: 'p' },
      { host: 'ghcr.io', username: 'u' },
    ]) {
      const res = await f.req('/api/servers/web-1/registries', { method: 'POST', json });
      expect(res.status, JSON.stringify(json)).toBe(400);
    }
    expect(await body(await f.req('/api/jobs'))).toEqual([]);
  });
});
