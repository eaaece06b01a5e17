import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixture, body } from './api-fixture.js';

let f: ApiFixture;
beforeEach(async () => {
  f = apiFixture();
  await f.req('/api/servers', { method: 'POST', json: { name: 'web-1', host: '203.0.113.5' } });
});
afterEach(async () => {
  await f.cleanup();
});

const names = async (path: string) => (await body(await f.req(path))).map((x: { name: string }) => x.name);

describe('memoised list bodies are never stale', () => {
  it('sees writes made through the API', async () => {
    expect(await names('/api/apps')).toEqual([]);
    await f.req('/api/apps', { method: 'POST', json: { server: 'web-1', name: 'a', image: 'nginx' } });
    expect(await names('/api/apps')).toEqual(['a']);
    await f.req('/api/servers/web-1?force=true', { method: 'DELETE' });
    expect(await names('/api/apps')).toEqual([]);
    expect(await names('/api/servers')).toEqual([]);
  });

  it('sees writes committed by another process (the CLI) and by jobs on this connection', async () => {
    expect(await names('/api/servers')).toEqual(['web-1']);
    const other = new BetterSqlite3(join(f.home, 'infrakt.db'));
    try {
      other.prepare("UPDATE servers SET name = 'renamed' WHERE name = 'web-1'").run();
    } finally {
      other.close();
    }
    expect(await names('/api/servers')).toEqual(['renamed']);
    f.ctx.store.raw!.prepare("UPDATE servers SET status = 'active' WHERE name = 'renamed'").run();
    expect((await body(await f.req('/api/servers')))[0].status).toBe('active');
  });

  it('keys by query: ?server= lists are distinct', async () => {
    await f.req('/api/servers', { method: 'POST', json: { name: 'web-2', host: '203.0.113.6' } });
    await f.req('/api/apps', { method: 'POST', json: { server: 'web-1', name: 'a', image: 'nginx' } });
    await f.req('/api/apps', { method: 'POST', json: { server: 'web-2', name: 'b', image: 'nginx' } });
    expect(await names('/api/apps?server=web-1')).toEqual(['a']);
    expect(await names('/api/apps?server=web-2')).toEqual(['b']);
    expect(await names('/api/apps')).toEqual(['a', 'b']);
    expect((await f.req('/api/apps?server=nope')).status).toBe(404);
  });
});
