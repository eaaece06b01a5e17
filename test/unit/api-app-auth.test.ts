// The auth in front of an app over HTTP (what `app update --auth` does): set without a route it is stored for
// the next deploy; the basic auth password is hashed and never answered; bad input is a 400 that changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/services/apps/apps.js';
import { registerServer } from '../../src/services/servers/servers.js';
import { apiFixture, body } from './api-fixture.js';

const PASSWORD = 'correct-horse-battery';

describe('app auth API', () => {
  const f = apiFixture();
  beforeAll(async () => {
    await registerServer(f.ctx, { name: 's1', host: '127.0.0.1' });
    await createApp(f.ctx, { server: 's1', name: 'web', image: 'nginx:alpine' });
  });
  afterAll(() => f.cleanup());
  const put = (json: unknown) => f.req('/api/apps/web/auth', { method: 'PUT', json });
  const settings = async () =>
    (
      await f.ctx.store.db
        .selectFrom('apps')
        .select('settings_json')
        .where('name', '=', 'web')
        .executeTakeFirstOrThrow()
    ).settings_json;

  it('starts with none', async () => {
    expect(await body(await f.req('/api/apps/web/auth'))).toEqual({ app: 'web', auth: 'none', user: null, url: null });
  });

  it('basic: stored as a bcrypt hash for the next deploy (no route yet); the password is never answered', async () => {
    const res = await put({ type: 'basic', user: 'admin', password: PASSWORD });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ app: 'web', auth: 'basic', user: 'admin', url: null, applied: false });
    expect(text).not.toContain(PASSWORD);
    expect(await settings()).toMatch(/"hash":"\$2[aby]\$12\$/);
    expect(await settings()).not.toContain(PASSWORD);
    const got = await f.req('/api/apps/web/auth');
    const shown = await got.text();
    expect(JSON.parse(shown)).toMatchObject({ auth: 'basic', user: 'admin' });
    expect(shown).not.toContain('$2');
  });

  it('forward, then none', async () => {
    const fw = await put({ type: 'forward', url: 'http://127.0.0.1:9000/outpost.goauthentik.io/auth/caddy' });
    expect(fw.status).toBe(200);
    expect(await body(fw)).toMatchObject({
      auth: 'forward',
      url: 'http://127.0.0.1:9000/outpost.goauthentik.io/auth/caddy',
    });
    expect(await body(await put({ type: 'none' }))).toMatchObject({ auth: 'none', user: null, url: null });
  });

  it('bad input is a 400 that changes nothing: short password, bad user, bad URL, unknown type', async () => {
    const before = await settings();
    const short = await put({ type: 'basic', user: 'admin', password: 'short' });
    expect(short.status).toBe(400);
    expect((await body(short)).error.message).toMatch(/at least 8 characters/);
    expect((await put({ type: 'basic', user: 'bad user!', password: PASSWORD })).status).toBe(400);
    expect((await put({ type: 'forward', url: 'ftp://x' })).status).toBe(400);
    expect((await put({ type: 'magic' })).status).toBe(400);
    expect(await settings()).toBe(before);
    expect((await f.req('/api/apps/nope/auth', { method: 'PUT', json: { type: 'none' } })).status).toBe(404);
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = await body(await f.req('/api/openapi.json'));
    expect(Object.keys(doc.paths['/api/apps/{name}/auth'])).toEqual(['get', 'put']);
    expect(Object.keys(doc.paths['/api/apps/{name}/auth'].put.responses)).toEqual(
      expect.arrayContaining(['200', '202', '400']),
    );
  });
});
