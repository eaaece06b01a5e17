import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DOCS_JS } from '../../src/api/docs-page.js';
import { type ApiFixture, apiFixture, body } from './api-fixture.js';

let f: ApiFixture;
beforeEach(() => {
  f = apiFixture();
});
afterEach(async () => {
  await f.cleanup();
});

const addServer = (name = 'web-1') =>
  f.req('/api/servers', { method: 'POST', json: { name, host: '203.0.113.5', user: 'deploy', port: 2222 } });

describe('health and dashboard', () => {
  it('GET /api/health needs no key', async () => {
    const res = await f.app.request('/api/health');
    expect(res.status).toBe(200);
    expect(await body(res)).toMatchObject({ ok: true });
  });

  it('GET /api/dashboard counts servers, apps and failing things', async () => {
    await addServer();
    await f.req('/api/apps', { method: 'POST', json: { server: 'web-1', name: 'api', image: 'nginx:alpine' } });
    const res = await f.req('/api/dashboard');
    expect(res.status).toBe(200);
    const b = await body(res);
    expect(b.servers).toEqual({ total: 1, byStatus: { unknown: 1 } });
    expect(b.apps).toEqual({ total: 1, byStatus: { created: 1 } });
    expect(b.databases.total).toBe(0);
    expect(b.recentDeployments).toEqual([]);
    expect(b.failing).toEqual([]);
  });
});

describe('servers', () => {
  it('add → 201 + Location, list, get, delete', async () => {
    const res = await addServer();
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe('/api/servers/web-1');
    const view = await body(res);
    expect(view).toMatchObject({ name: 'web-1', host: '203.0.113.5', user: 'deploy', port: 2222, appCount: 0 });

    const list = await body(await f.req('/api/servers'));
    expect(list.map((s: { name: string }) => s.name)).toEqual(['web-1']);
    expect((await body(await f.req('/api/servers/web-1'))).name).toBe('web-1');

    const del = await f.req('/api/servers/web-1', { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(await body(del)).toEqual({ removed: 'web-1', apps: 0 });
    expect((await f.req('/api/servers/web-1')).status).toBe(404);
  });

  it('duplicate name → 409; bad input → 400 naming the field, nothing stored', async () => {
    await addServer();
    const dup = await addServer();
    expect(dup.status).toBe(409);
    expect((await body(dup)).error.code).toBe('CONFLICT');

    const bad = await f.req('/api/servers', { method: 'POST', json: { name: 'Bad Name!', host: 'x.example.com' } });
    expect(bad.status).toBe(400);
    const b = await body(bad);
    expect(b.error.code).toBe('VALIDATION');
    expect(b.error.message).toMatch(/^invalid name:/);
    expect(b.error.details.issues[0].field).toBe('name');
    expect((await body(await f.req('/api/servers'))).length).toBe(1);
  });

  it('malformed JSON → 400 VALIDATION', async () => {
    const res = await f.req('/api/servers', {
      method: 'POST',
      body: '{"name":',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect((await body(res)).error.code).toBe('VALIDATION');
  });

  it('delete with apps → 409 unless force=true', async () => {
    await addServer();
    await f.req('/api/apps', { method: 'POST', json: { server: 'web-1', name: 'api', image: 'nginx:alpine' } });
    const refused = await f.req('/api/servers/web-1', { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect((await body(refused)).error.hint).toMatch(/force/);
    const forced = await f.req('/api/servers/web-1?force=true', { method: 'DELETE' });
    expect(await body(forced)).toEqual({ removed: 'web-1', apps: 1 });
  });
});

describe('apps', () => {
  beforeEach(async () => {
    await addServer();
  });

  it('init and stop timeout: set on create and PATCH, kept in the app settings; bad values → 400, nothing changed', async () => {
    const settings = async () => {
      const row = await f.ctx.store.db
        .selectFrom('apps')
        .select('settings_json')
        .where('name', '=', 'api')
        .executeTakeFirstOrThrow();
      return JSON.parse(row.settings_json) as { init?: boolean; stopTimeoutSec?: number };
    };
    const created = await f.req('/api/apps', {
      method: 'POST',
      json: { server: 'web-1', name: 'api', image: 'nginx:alpine', stopTimeout: 20 },
    });
    expect(created.status).toBe(201);
    expect(await settings()).toMatchObject({ stopTimeoutSec: 20 });
    expect((await settings()).init).toBeUndefined(); // the default (true) is not written
    const patched = await f.req('/api/apps/api', { method: 'PATCH', json: { init: false, stopTimeout: 5 } });
    expect(patched.status).toBe(200);
    expect(await settings()).toMatchObject({ init: false, stopTimeoutSec: 5 });
    for (const bad of [-1, 3601, 1.5, '10', null]) {
      const res = await f.req('/api/apps/api', { method: 'PATCH', json: { stopTimeout: bad } });
      expect(res.status).toBe(400);
      expect((await body(res)).error.code).toBe('VALIDATION');
    }
    const notBool = await f.req('/api/apps/api', { method: 'PATCH', json: { init: 'no' } });
    expect(notBool.status).toBe(400);
    expect(await settings()).toMatchObject({ init: false, stopTimeoutSec: 5 });
  });

  it('create image app → 201; list; get; unknown → 404', async () => {
    const res = await f.req('/api/apps', {
      method: 'POST',
      json: { server: 'web-1', name: 'api', image: 'nginx:alpine', domain: 'api.example.com', port: 8080 },
    });
    expect(res.status).toBe(201);
    expect(await body(res)).toMatchObject({ name: 'api', server: 'web-1', type: 'image', port: 8080 });
    const list = await body(await f.req('/api/apps'));
    expect(list).toHaveLength(1);
    expect((await body(await f.req('/api/apps/api'))).domain).toBe('api.example.com');
    const missing = await f.req('/api/apps/nope');
    expect(missing.status).toBe(404);
    expect((await body(missing)).error).toMatchObject({ code: 'NOT_FOUND', hint: expect.any(String) });
  });

  it('git app over https to a public host is accepted', async () => {
    const res = await f.req('/api/apps', {
      method: 'POST',
      json: { server: 'web-1', name: 'site', git: 'https://github.com/acme/site.git', branch: 'main' },
    });
    expect(res.status).toBe(201);
    expect((await body(res)).type).toBe('git');
  });

  it('git URL resolving to a private address → 400, nothing created', async () => {
    const g = apiFixture({ resolve: async () => ['10.0.0.7'] });
    try {
      await g.req('/api/servers', { method: 'POST', json: { name: 'web-1', host: '203.0.113.5' } });
      const res = await g.req('/api/apps', {
        method: 'POST',
        json: { server: 'web-1', name: 'site', git: 'https://git.corp.example.com/site.git' },
      });
      expect(res.status).toBe(400);
      expect((await body(res)).error.message).toMatch(/non-public address/);
      expect(await body(await g.req('/api/apps'))).toEqual([]);
    } finally {
      await g.cleanup();
    }
  });

  it('local repository paths are refused over the API unless allowed', async () => {
    const input = { server: 'web-1', name: 'site', git: '/srv/repos/site.git' };
    const res = await f.req('/api/apps', { method: 'POST', json: input });
    expect(res.status).toBe(400);
    expect((await body(res)).error.hint).toMatch(/allow-local-git/);
    const g = apiFixture({ allowLocalGitPaths: true });
    try {
      await g.req('/api/servers', { method: 'POST', json: { name: 'web-1', host: '203.0.113.5' } });
      expect((await g.req('/api/apps', { method: 'POST', json: input })).status).toBe(201);
    } finally {
      await g.cleanup();
    }
  });

  it('http git URL and image+git together → 400', async () => {
    const http = await f.req('/api/apps', {
      method: 'POST',
      json: { server: 'web-1', name: 'a', git: 'http://github.com/x/y' },
    });
    expect(http.status).toBe(400);
    const both = await f.req('/api/apps', {
      method: 'POST',
      json: { server: 'web-1', name: 'a', git: 'https://github.com/x/y', image: 'nginx' },
    });
    expect(both.status).toBe(400);
  });
});

describe('env', () => {
  beforeEach(async () => {
    await addServer();
    await f.req('/api/apps', { method: 'POST', json: { server: 'web-1', name: 'api', image: 'nginx:alpine' } });
  });

  it('values are masked unless revealed', async () => {
    const set = await f.req('/api/apps/api/env', {
      method: 'PUT',
      json: { vars: { DATABASE_URL: 'postgres://u:hunter2@db/x', MODE: 'prod' } },
    });
    expect(set.status).toBe(200);
    expect(await body(set)).toEqual({ app: 'api', set: ['DATABASE_URL', 'MODE'] });

    const listed = await f.req('/api/apps/api/env');
    const text = await listed.text();
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('prod"');
    expect(JSON.parse(text).map((e: { key: string; value: string }) => [e.key, e.value])).toEqual([
      ['DATABASE_URL', '********'],
      ['MODE', '********'],
    ]);

    const one = await f.req('/api/apps/api/env/DATABASE_URL/reveal', { method: 'POST' });
    expect(await body(one)).toEqual({ key: 'DATABASE_URL', value: 'postgres://u:hunter2@db/x' });
    const all = await body(await f.req('/api/apps/api/env/reveal', { method: 'POST' }));
    expect(all.map((e: { value: string }) => e.value)).toEqual(['postgres://u:hunter2@db/x', 'prod']);

    // Reveals are audited (without the values).
    const audits = await f.ctx.store.db
      .selectFrom('audit_events')
      .selectAll()
      .where('action', '=', 'env.reveal')
      .execute();
    expect(audits).toHaveLength(2);
    expect(JSON.stringify(audits)).not.toContain('hunter2');
  });

  it('a bad key rejects the whole set; delete; unknown key → 404', async () => {
    const bad = await f.req('/api/apps/api/env', { method: 'PUT', json: { vars: { GOOD: '1', 'BAD-KEY': '2' } } });
    expect(bad.status).toBe(400);
    expect(await body(await f.req('/api/apps/api/env'))).toEqual([]);

    await f.req('/api/apps/api/env', { method: 'PUT', json: { vars: { A: '1' } } });
    const del = await f.req('/api/apps/api/env/A', { method: 'DELETE' });
    expect(await body(del)).toEqual({ app: 'api', deleted: 'A' });
    expect((await f.req('/api/apps/api/env/A', { method: 'DELETE' })).status).toBe(404);
    expect((await f.req('/api/apps/api/env/A/reveal', { method: 'POST' })).status).toBe(404);
  });

  it('a value with "=" and newlines survives the KEY=VALUE framing', async () => {
    await f.req('/api/apps/api/env', { method: 'PUT', json: { vars: { Q: 'a=b\nc=d' } } });
    const one = await body(await f.req('/api/apps/api/env/Q/reveal', { method: 'POST' }));
    expect(one.value).toBe('a=b\nc=d');
  });
});

describe('jobs', () => {
  it('list, get, logs, cancel; unknown job → 404', async () => {
    const h = await f.ctx.jobs.start({ kind: 'demo', target: 'x' }, async (job) => {
      await job.step('one', async (s) => s.log('hello'));
      await new Promise<void>((_, reject) => job.signal.addEventListener('abort', () => reject(job.signal.reason)));
    });
    h.done.catch(() => {});
    const list = await body(await f.req('/api/jobs'));
    expect(list.map((j: { id: string }) => j.id)).toContain(h.id);
    expect((await body(await f.req(`/api/jobs/${h.id}`))).kind).toBe('demo');
    let logs: { line: string }[] = [];
    for (let i = 0; i < 100 && logs.length === 0; i++) {
      logs = await body(await f.req(`/api/jobs/${h.id}/logs`));
      if (!logs.length) await new Promise((r) => setTimeout(r, 10));
    }
    expect(logs.map((l) => l.line)).toEqual(['hello']);
    const cancelled = await f.req(`/api/jobs/${h.id}/cancel`, { method: 'POST' });
    expect(cancelled.status).toBe(200);
    await h.done.catch(() => {});
    expect((await body(await f.req(`/api/jobs/${h.id}`))).status).toBe('cancelled');
    expect((await f.req('/api/jobs/j_nope')).status).toBe(404);
    expect((await f.req('/api/jobs?status=bogus')).status).toBe(400);
  });
});

describe('responses', () => {
  it('unknown API path → 404 JSON; API responses are no-store', async () => {
    const res = await f.req('/api/nope');
    expect(res.status).toBe(404);
    expect((await body(res)).error.code).toBe('NOT_FOUND');
    expect((await f.req('/api/servers')).headers.get('cache-control')).toBe('no-store');
  });

  it('/docs is a self-contained page (no external scripts)', async () => {
    const res = await f.app.request('/docs');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('X-API-Key');
    expect(html).not.toMatch(/https?:\/\//);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const js = await f.app.request('/docs/docs.js');
    expect(js.headers.get('content-type')).toMatch(/javascript/);
    // The script parses (a syntax slip in the template string would only show in a browser).
    expect(() => new Function(DOCS_JS)).not.toThrow();
  });
});
