import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiApp } from '../../src/api/app.js';
import type { Api } from '../../src/api/route-kit.js';
import { setPolicy } from '../../src/services/approvals/policies.js';
import { createApp } from '../../src/services/apps/apps.js';
import { verifyAudit } from '../../src/services/audit/audit-log.js';
import type { Ctx } from '../../src/services/shared/context.js';
import { createToken } from '../../src/services/tokens/tokens.js';
import { addUser } from '../../src/services/users/users.js';
import { type ApiFixture, apiFixture, body } from './api-fixture.js';

/**
 * The team model over the real API app (Hono, real SQLite file): sessions with CSRF and expiry, tokens that
 * expire or are revoked, deployers refused what gives root, approvals, the audit chain.
 */
let f: ApiFixture;
let now: number;
let app: Api;
let ctx: Ctx;
let seq = 0;
const addr = () => `198.51.100.${(++seq % 250) + 1}`;

const request = (path: string, init: RequestInit & { json?: unknown } = {}) => {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (json !== undefined) headers.set('Content-Type', 'application/json');
  return app.request(
    path,
    { ...rest, headers, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) },
    { incoming: { socket: { remoteAddress: addr() } } },
  );
};

async function signIn(name: string, password = `${name}-password-long`) {
  const res = await request('/api/auth/login', { method: 'POST', json: { username: name, password } });
  const setCookie = res.headers.get('Set-Cookie') ?? '';
  const me = res.status === 200 ? await body(res) : null;
  return { res, setCookie, cookie: setCookie.split(';')[0]!, csrf: me?.csrfToken as string };
}

async function insertServer(name: string, labels: Record<string, string> = {}) {
  const t = new Date(now).toISOString();
  await ctx.store.db
    .insertInto('servers')
    .values({
      name,
      host: '127.0.0.1',
      port: 1,
      user: 'root',
      root_dir: '/opt/infrakt',
      key_path: null,
      provider: null,
      status: 'unknown',
      host_key_fingerprint: null,
      host_key: null,
      last_checked_at: null,
      last_error: null,
      settings_json: JSON.stringify({ labels }),
      created_at: t,
      updated_at: t,
    })
    .execute();
}

/** The job once it has ended (polled, with a deadline). */
async function settled(jobId: string) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const job = await ctx.jobs.get(jobId);
    if (['succeeded', 'failed', 'cancelled', 'rejected'].includes(job.status) || Date.now() > deadline) return job;
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeEach(async () => {
  f = apiFixture();
  now = Date.parse('2026-06-01T12:00:00Z');
  // The same store, with a clock the test moves (session idle/absolute expiry, token expiry, request expiry).
  ctx = { ...f.ctx, clock: { now: () => new Date(now) } };
  app = createApiApp(ctx, {
    apiKey: () => f.key,
    log: () => {},
    sessions: { idleMs: 30 * 60_000, maxMs: 8 * 3_600_000 },
  });
  for (const role of ['viewer', 'deployer', 'admin'] as const) {
    await addUser(ctx, { name: role, role, password: `${role}-password-long` });
  }
  await addUser(ctx, { name: 'admin2', role: 'admin', password: 'admin2-password-long' });
});
afterEach(async () => {
  await f.cleanup();
});

describe('dashboard sessions', () => {
  it('sign-in sets an HttpOnly SameSite=Strict cookie; a wrong password is 401 and sets none', async () => {
    const bad = await signIn('deployer', 'not-the-password');
    expect(bad.res.status).toBe(401);
    expect(bad.setCookie).toBe('');
    const ok = await signIn('deployer');
    expect(ok.res.status).toBe(200);
    expect(ok.setCookie).toMatch(/^infrakt_session=[^;]+;/);
    expect(ok.setCookie).toMatch(/HttpOnly/i);
    expect(ok.setCookie).toMatch(/SameSite=Strict/i);
    expect(ok.setCookie).not.toMatch(/Secure/); // plain http here; https requests get Secure
    const me = await body(await request('/api/auth/me', { headers: { Cookie: ok.cookie } }));
    expect(me).toMatchObject({ kind: 'user', name: 'deployer', role: 'deployer', level: 'deploy' });
    expect(JSON.stringify(me)).not.toContain(ok.cookie.split('=')[1]);
  });

  it('a change with the cookie but without the CSRF token is refused and changes nothing', async () => {
    const s = await signIn('admin');
    const add = (headers: Record<string, string>) =>
      request('/api/users', {
        method: 'POST',
        headers,
        json: { name: 'carol', role: 'viewer', password: 'carol-password-long' },
      });
    const none = await add({ Cookie: s.cookie });
    expect(none.status).toBe(403);
    expect((await body(none)).error.message).toContain('X-CSRF-Token');
    expect((await add({ Cookie: s.cookie, 'X-CSRF-Token': 'forged' })).status).toBe(403);
    expect(await ctx.store.db.selectFrom('users').where('name', '=', 'carol').selectAll().execute()).toEqual([]);
    expect((await add({ Cookie: s.cookie, 'X-CSRF-Token': s.csrf })).status).toBe(201);
  });

  it('ends when idle, at the absolute limit, and on logout (everywhere)', async () => {
    const a = await signIn('viewer');
    const me = (cookie: string) => request('/api/auth/me', { headers: { Cookie: cookie } });
    now += 29 * 60_000;
    expect((await me(a.cookie)).status).toBe(200);
    now += 31 * 60_000; // idle 31 min since the last request
    expect((await me(a.cookie)).status).toBe(401);

    const b = await signIn('viewer');
    for (let i = 0; i < 17; i++) {
      now += 29 * 60_000; // active, but 8 h absolute
      if ((await me(b.cookie)).status !== 200) break;
    }
    expect((await me(b.cookie)).status).toBe(401);

    const c1 = await signIn('viewer');
    const c2 = await signIn('viewer');
    expect(
      (
        await request('/api/auth/logout-all', {
          method: 'POST',
          headers: { Cookie: c1.cookie, 'X-CSRF-Token': c1.csrf },
        })
      ).status,
    ).toBe(200);
    expect((await me(c1.cookie)).status).toBe(401);
    expect((await me(c2.cookie)).status).toBe(401);
  });
});

describe('scoped tokens', () => {
  it('work until they expire or are revoked; the secret is stored hashed', async () => {
    const t = await createToken(ctx, { name: 'ci', scope: 'read', expires: '1d' });
    const stored = await ctx.store.db.selectFrom('api_tokens').selectAll().execute();
    expect(JSON.stringify(stored)).not.toContain(t.secret);
    const list = (secret: string) => request('/api/servers', { headers: { Authorization: `Bearer ${secret}` } });
    expect((await list(t.secret)).status).toBe(200);
    now += 25 * 3_600_000;
    const expired = await list(t.secret);
    expect(expired.status).toBe(403);
    expect((await body(expired)).error.message).toMatch(/expired/);

    const r = await createToken(ctx, { name: 'ci2', scope: 'admin' });
    expect((await list(r.secret)).status).toBe(200);
    const revoke = await request('/api/tokens/ci2', { method: 'DELETE', headers: { 'X-API-Key': f.key } });
    expect(revoke.status).toBe(200);
    const revoked = await list(r.secret);
    expect(revoked.status).toBe(403);
    expect((await body(revoked)).error.message).toMatch(/revoked/);
  });

  it('an app-scoped deploy token cannot touch another app', async () => {
    await insertServer('s1');
    await createApp(ctx, { server: 's1', name: 'web', image: 'nginx:alpine' });
    await createApp(ctx, { server: 's1', name: 'other', image: 'nginx:alpine' });
    const t = await createToken(ctx, { name: 'web-ci', scope: 'deploy', app: 'web' });
    const h = { Authorization: `Bearer ${t.secret}` };
    expect((await request('/api/apps/web', { headers: h })).status).toBe(200);
    const other = await request('/api/apps/other', { method: 'PATCH', headers: h, json: { image: 'nginx:1' } });
    expect(other.status).toBe(403);
    expect((await body(other)).error.message).toContain('other');
    const apps = await body(await request('/api/apps', { headers: h }));
    expect(apps.map((a: { name: string }) => a.name)).toEqual(['web']);
  });
});

describe('what gives root on a server needs an admin', () => {
  const compose = (extra: string) => `services:\n  web:\n    image: nginx:alpine\n    ports: ["80"]\n${extra}`;
  const cases: [string, string][] = [
    ['    privileged: true\n', 'services.web.privileged'],
    ['    volumes: ["/var/run/docker.sock:/var/run/docker.sock"]\n', 'services.web.volumes[0]'],
    ['    volumes: ["/:/host"]\n', 'services.web.volumes[0]'],
    ['    volumes: ["../../etc:/x"]\n', 'services.web.volumes[0]'],
    ['    cap_add: [SYS_ADMIN]\n', 'services.web.cap_add'],
    ['    pid: host\n', 'services.web.pid'],
    ['    network_mode: host\n', 'services.web.network_mode'],
    ['    devices: ["/dev/sda:/dev/sda"]\n', 'services.web.devices'],
  ];

  it('a deployer is refused each, naming the field; nothing changes; an admin may', async () => {
    await insertServer('s1');
    await createApp(ctx, { server: 's1', name: 'web', port: 80, composeFile: compose('') });
    const before = await ctx.store.db.selectFrom('apps').select('settings_json').where('name', '=', 'web').execute();
    const d = await signIn('deployer');
    const patch = (s: { cookie: string; csrf: string }, file: string) =>
      request('/api/apps/web', {
        method: 'PATCH',
        headers: { Cookie: s.cookie, 'X-CSRF-Token': s.csrf },
        json: { composeFile: file },
      });
    for (const [extra, field] of cases) {
      const res = await patch(d, compose(extra));
      const err = (await body(res)).error;
      expect([field, res.status, err.code]).toEqual([field, 403, 'FORBIDDEN']);
      expect(err.message).toContain(field);
    }
    // Relative paths inside the app directory and named volumes are fine for a deployer.
    expect((await patch(d, compose('    volumes: ["./data:/data", "cache:/cache"]\n'))).status).toBe(200);
    const a = await signIn('admin');
    expect((await patch(a, compose('    privileged: true\n'))).status).toBe(200);
    const after = await ctx.store.db.selectFrom('apps').select('settings_json').where('name', '=', 'web').execute();
    expect(after).not.toEqual(before);
    expect(after[0]!.settings_json).toContain('privileged: true');
  });
});

describe('approvals', () => {
  it('a held server removal runs once another admin approves; never on rejection; not self-approved', async () => {
    await setPolicy(ctx, { operation: 'server.remove' });
    await insertServer('s1');
    await insertServer('s2');
    const a = await signIn('admin');
    const b = await signIn('admin2');
    const h = (s: { cookie: string; csrf: string }) => ({ Cookie: s.cookie, 'X-CSRF-Token': s.csrf });
    const held = await request('/api/servers/s1', { method: 'DELETE', headers: h(a) });
    expect(held.status).toBe(202);
    const { jobId, job } = await body(held);
    expect(job.status).toBe('approval_pending');
    expect(await ctx.store.db.selectFrom('servers').select('name').where('name', '=', 's1').execute()).toHaveLength(1);
    // The viewer sees the inbox but cannot decide; the requester cannot approve their own.
    const v = await signIn('viewer');
    expect(
      (await body(await request('/api/approvals', { headers: h(v) }))).map((r: { jobId: string }) => r.jobId),
    ).toContain(jobId);
    expect((await request(`/api/approvals/${jobId}/approve`, { method: 'POST', headers: h(v), json: {} })).status).toBe(
      403,
    );
    const self = await request(`/api/approvals/${jobId}/approve`, { method: 'POST', headers: h(a), json: {} });
    expect(self.status).toBe(403);
    expect((await body(self)).error.message).toContain('own request');
    const ok = await request(`/api/approvals/${jobId}/approve`, { method: 'POST', headers: h(b), json: {} });
    expect(ok.status).toBe(202);
    const done = await settled(jobId);
    expect(done.status).toBe('succeeded');
    expect(await ctx.store.db.selectFrom('servers').select('name').where('name', '=', 's1').execute()).toEqual([]);

    const held2 = await body(await request('/api/servers/s2', { method: 'DELETE', headers: h(a) }));
    const rej = await request(`/api/approvals/${held2.jobId}/reject`, { method: 'POST', headers: h(b), json: {} });
    expect(rej.status).toBe(200);
    expect((await ctx.jobs.get(held2.jobId)).status).toBe('rejected');
    // A decided request cannot be approved afterwards.
    const late = await request(`/api/approvals/${held2.jobId}/approve`, { method: 'POST', headers: h(b), json: {} });
    expect(late.status).toBe(422);
    expect(await ctx.store.db.selectFrom('servers').select('name').where('name', '=', 's2').execute()).toHaveLength(1);
  });

  it('pending requests expire and never run', async () => {
    await setPolicy(ctx, { operation: 'server.remove', expires: '1h' });
    await insertServer('s1');
    const a = await signIn('admin');
    const held = await body(
      await request('/api/servers/s1', { method: 'DELETE', headers: { Cookie: a.cookie, 'X-CSRF-Token': a.csrf } }),
    );
    now += 2 * 3_600_000;
    const b = await signIn('admin2');
    const res = await request(`/api/approvals/${held.jobId}/approve`, {
      method: 'POST',
      headers: { Cookie: b.cookie, 'X-CSRF-Token': b.csrf },
      json: {},
    });
    expect(res.status).toBe(422);
    expect((await ctx.jobs.get(held.jobId)).status).toBe('rejected');
    expect(await ctx.store.db.selectFrom('servers').select('name').where('name', '=', 's1').execute()).toHaveLength(1);
  });
});

describe('audit', () => {
  it('records who did what from where; verify finds an edited and a deleted entry', async () => {
    const a = await signIn('admin');
    await request('/api/users', {
      method: 'POST',
      headers: { Cookie: a.cookie, 'X-CSRF-Token': a.csrf },
      json: { name: 'dave', role: 'viewer', password: 'dave-secret-password' },
    });
    await request('/api/users/dave', {
      method: 'DELETE',
      headers: { Cookie: a.cookie, 'X-CSRF-Token': a.csrf },
    });
    const list = await body(await request('/api/audit?actor=admin', { headers: { 'X-API-Key': f.key } }));
    expect(list.map((e: { action: string; target: string }) => `${e.action} ${e.target}`)).toEqual(
      expect.arrayContaining(['POST /api/users -', 'DELETE /api/users/:name dave', 'auth.login admin']),
    );
    expect(list.every((e: { source: string }) => /^198\.51\.100\.\d+$/.test(e.source))).toBe(true);
    expect(JSON.stringify(list)).not.toContain('dave-secret-password');
    expect((await verifyAudit(ctx)).ok).toBe(true);

    const rows = await ctx.store.db.selectFrom('audit_events').select(['id', 'seq', 'target']).orderBy('seq').execute();
    expect(rows.length).toBeGreaterThanOrEqual(3);
    const edited = rows[0]!;
    await ctx.store.db
      .updateTable('audit_events')
      .set({ target: 'someone-else' })
      .where('id', '=', edited.id)
      .execute();
    const v1 = await verifyAudit(ctx);
    expect(v1.ok).toBe(false);
    expect(v1.problem).toMatchObject({ seq: edited.seq, kind: 'altered' });
    // Restored, then a later row removed: the gap is reported.
    await ctx.store.db.updateTable('audit_events').set({ target: edited.target }).where('id', '=', edited.id).execute();
    expect((await verifyAudit(ctx)).ok).toBe(true);
    const deleted = rows[1]!;
    await ctx.store.db.deleteFrom('audit_events').where('id', '=', deleted.id).execute();
    const v2 = await body(await request('/api/audit/verify', { headers: { 'X-API-Key': f.key } }));
    expect(v2.ok).toBe(false);
    expect(v2.problem).toMatchObject({ seq: deleted.seq, kind: 'missing' });
  });
});
