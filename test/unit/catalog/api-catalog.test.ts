import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/services/apps/apps.js';
import { setEnv } from '../../../src/services/apps/env.js';
import { registerServer } from '../../../src/services/servers/servers.js';
import { REPO_ROOT } from '../../harness/cli.js';
import { apiFixture, body } from '../api-fixture.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'catalog');

describe('catalog API', () => {
  const f = apiFixture({ catalogDirs: [FIXTURES] });
  afterAll(() => f.cleanup());

  it('lists entries (built-in and --catalog-dir), filtered by category and search', async () => {
    const all = await body(await f.req('/api/catalog'));
    expect(all.length).toBeGreaterThanOrEqual(24);
    expect(all.find((e: { id: string }) => e.id === 'webapp')).toMatchObject({
      version: '3',
      versions: ['3', '2', '1'],
      source: 'user',
    });
    const mon = await body(await f.req('/api/catalog?category=monitoring'));
    expect(mon.every((e: { category: string }) => e.category === 'monitoring')).toBe(true);
    const found = await body(await f.req('/api/catalog?search=bitwarden'));
    expect(found.map((e: { id: string }) => e.id)).toEqual(['vaultwarden']);
    const stacks = await body(await f.req('/api/catalog/stacks'));
    expect(stacks.map((s: { id: string }) => s.id)).toContain('monitoring');
  });

  it('shows one entry with its inputs; unknown ids and versions are 404', async () => {
    const d = await body(await f.req('/api/catalog/webapp?version=1'));
    expect(d.inputs.find((i: { name: string }) => i.name === 'metrics_port')).toMatchObject({
      type: 'port',
      visible_if: { advanced: 'true' },
    });
    expect(d.outputs).toEqual([
      { label: 'URL', secret: false },
      { label: 'Cache password', secret: true },
    ]);
    expect((await f.req('/api/catalog/nope')).status).toBe(404);
    expect((await f.req('/api/catalog/webapp?version=9')).status).toBe(404);
  });

  it('install: a bad value answers 400 naming the input, before any job or server lookup', async () => {
    const res = await f.req('/api/catalog/webapp/install', {
      method: 'POST',
      json: { server: 'nowhere', version: '1', values: { advanced: true, metrics_port: 70000, admin_email: 'x' } },
    });
    expect(res.status).toBe(400);
    const b = await body(res);
    expect(b.error.message).toBe('invalid input metrics_port: must be between 1 and 65535');
    expect(b.error.details.issues).toEqual([
      { field: 'inputs.metrics_port', message: 'must be between 1 and 65535' },
      { field: 'inputs.admin_email', message: 'must be an email address such as admin@example.com' },
    ]);
    const unknownServer = await f.req('/api/catalog/webapp/install', {
      method: 'POST',
      json: { server: 'nowhere', values: {} },
    });
    expect(unknownServer.status).toBe(404);
    expect((await f.ctx.jobs.list()).length).toBe(0);
  });

  it('stack install: a bad shared input is a 400 naming it, an unknown stack a 404; no job starts', async () => {
    const bad = await f.req('/api/catalog/stacks/pair/install', {
      method: 'POST',
      json: { server: 'nowhere', values: { greeting: 'hi', base_domain: 'not a domain' } },
    });
    expect(bad.status).toBe(400);
    expect((await body(bad)).error.message).toMatch(/^invalid input base_domain: must be a fully qualified host name/);
    const missing = await f.req('/api/catalog/stacks/pair/install', { method: 'POST', json: { server: 'nowhere' } });
    expect((await body(missing)).error.message).toBe('invalid input greeting: is required');
    expect((await f.req('/api/catalog/stacks/nope/install', { method: 'POST', json: { server: 's' } })).status).toBe(
      404,
    );
    expect((await f.ctx.jobs.list()).length).toBe(0);
  });

  it("an app's catalog status: an unknown app is 404", async () => {
    const res = await f.req('/api/apps/nope/catalog');
    expect(res.status).toBe(404);
  });

  it("an installed app's outputs: filled from its stored values, the secret null until an audited reveal", async () => {
    await registerServer(f.ctx, { name: 's1', host: '127.0.0.1' });
    await createApp(f.ctx, { server: 's1', name: 'cache', image: 'nginx:alpine', domain: 'cache.example.com' });
    await createApp(f.ctx, { server: 's1', name: 'plain', image: 'nginx:alpine', domain: 'taken.example.com' });
    // What a catalog install writes (services/catalog/app-records.ts): the entry and version in settings.
    const catalog = { id: 'webapp', version: '1', source: 'user', installedAt: '2026-01-01T00:00:00Z' };
    await f.ctx.store.db
      .updateTable('apps')
      .set({ settings_json: JSON.stringify({ catalog }) })
      .where('name', '=', 'cache')
      .execute();
    await setEnv(f.ctx, 'cache', ['APP_MESSAGE=hi', 'CACHE_PASSWORD=s3cret-cache-pw']);

    const masked = await f.req('/api/apps/cache/catalog/outputs');
    expect(masked.status).toBe(200);
    const text = await masked.text();
    expect(text).not.toContain('s3cret-cache-pw');
    expect(JSON.parse(text)).toEqual({
      app: 'cache',
      entry: 'webapp',
      version: '1',
      outputs: [
        { label: 'URL', value: 'https://cache.example.com', secret: false },
        { label: 'Cache password', value: null, secret: true },
      ],
    });
    const revealed = await body(await f.req('/api/apps/cache/catalog/outputs/reveal', { method: 'POST' }));
    expect(revealed.outputs[1]).toEqual({ label: 'Cache password', value: 's3cret-cache-pw', secret: true });
    const audits = await f.ctx.store.db.selectFrom('audit_events').selectAll().execute();
    expect(audits.some((a) => a.action === 'catalog.outputs.reveal' && a.target === 'cache')).toBe(true);
    // Not from the catalog: a 400 that says so.
    const plain = await f.req('/api/apps/plain/catalog/outputs');
    expect(plain.status).toBe(400);
    expect((await body(plain)).error.message).toMatch(/not installed from the catalog/);
  });

  it('upgrade takes a domain: one routed to another app is refused before any job', async () => {
    const res = await f.req('/api/apps/cache/catalog-upgrade', {
      method: 'POST',
      json: { to: '1', domain: 'taken.example.com' },
    });
    expect(res.status).toBe(409);
    expect((await body(res)).error.message).toMatch(/taken\.example\.com is already routed to app 'plain'/);
    const bad = await f.req('/api/apps/cache/catalog-upgrade', {
      method: 'POST',
      json: { to: '1', domain: 'not a domain' },
    });
    expect(bad.status).toBe(400);
    expect((await f.ctx.jobs.list()).length).toBe(0);
  });

  it('installed list and uninstall: refusals answer before any job (unknown 404, no uninstall.sh 501, --volumes on a host entry 400)', async () => {
    // s1 and the catalog app 'cache' exist from the outputs test above; a host entry without uninstall.sh joins.
    const server = await f.ctx.store.db
      .selectFrom('servers')
      .select('id')
      .where('name', '=', 's1')
      .executeTakeFirstOrThrow();
    const now = '2026-01-01T00:00:00Z';
    await f.ctx.store.db
      .insertInto('catalog_host_installs')
      .values({
        server_id: server.id,
        entry_id: 'hostcodes',
        version: '1',
        status: 'installed',
        exit_code: 0,
        job_id: null,
        values_json: JSON.stringify({ mode: 'ok', marker: 'm' }),
        values_sealed: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const list = await body(await f.req('/api/catalog/installed?server=s1'));
    expect(
      list.map(
        (r: { kind: string; name: string; entry: string; removable: boolean }) =>
          `${r.kind}:${r.name}:${r.entry}:${r.removable ? 'removable' : 'by hand'}`,
      ),
    ).toEqual(['compose:cache:webapp:removable', 'host:hostcodes:hostcodes:by hand']);
    const jobsBefore = (await f.ctx.jobs.list()).length;
    const unknown = await f.req('/api/catalog/installed/nothing-here', { method: 'DELETE' });
    expect([unknown.status, (await body(unknown)).error.code]).toEqual([404, 'NOT_FOUND']);
    const noScript = await f.req('/api/catalog/installed/hostcodes?server=s1', { method: 'DELETE' });
    const refused = await body(noScript);
    expect([noScript.status, refused.error.code, refused.error.message]).toEqual([
      501,
      'UNSUPPORTED',
      'hostcodes 1 has no uninstall script: infrakt cannot remove it',
    ]);
    const volumes = await f.req('/api/catalog/installed/hostcodes?volumes=true', { method: 'DELETE' });
    expect(volumes.status).toBe(400);
    const badKind = await f.req('/api/catalog/installed/cache?kind=other', { method: 'DELETE' });
    expect(badKind.status).toBe(400);
    expect((await f.ctx.jobs.list()).length).toBe(jobsBefore);
    expect((await body(await f.req('/api/catalog/installed'))).length).toBe(2);
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = await body(await f.req('/api/openapi.json'));
    for (const p of [
      '/api/catalog',
      '/api/catalog/{id}',
      '/api/catalog/{id}/install',
      '/api/catalog/installs/{id}/outputs',
      '/api/apps/{name}/catalog',
      '/api/apps/{name}/catalog/outputs',
      '/api/apps/{name}/catalog/outputs/reveal',
      '/api/catalog/stacks/{name}/install',
      '/api/catalog/installed',
      '/api/catalog/installed/{name}',
    ])
      expect(Object.keys(doc.paths)).toContain(p);
    expect(Object.keys(doc.paths['/api/catalog/{id}/install'].post.responses)).toContain('202');
    expect(Object.keys(doc.paths['/api/catalog/installed/{name}'].delete.responses)).toContain('202');
  });
});
