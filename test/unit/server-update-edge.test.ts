// `server update` on an edge server: its host and port are the loopback end of the reverse tunnel infrakt
// assigned, so changing them is refused before any connection and changes nothing. Real SQLite state; no SSH.
import { afterEach, describe, expect, it } from 'vitest';
import { updateServerSettings } from '../../src/services/servers/server-update.js';
import { getServerRow } from '../../src/services/servers/servers.js';
import { type ApiFixture, apiFixture } from './api-fixture.js';

let f: ApiFixture;
afterEach(async () => {
  await f?.cleanup();
});

describe('server update of an edge server', () => {
  it('refuses a new host or port (the tunnel end) and changes nothing; other servers get as far as connecting', async () => {
    f = apiFixture();
    for (const name of ['edge-1', 'plain-1']) {
      const res = await f.req('/api/servers', { method: 'POST', json: { name, host: '203.0.113.5' } });
      expect(res.status).toBe(201);
    }
    const edge = await getServerRow(f.ctx, 'edge-1');
    await f.ctx.store.db
      .insertInto('edge_devices')
      .values({
        server_id: edge.id,
        relay_id: null,
        tunnel_port: 40001,
        device_ssh_port: 22,
        tunnel_key: 'ssh-ed25519 AAAA',
        last_seen_at: null,
        created_at: new Date().toISOString(),
      })
      .execute();
    for (const input of [{ port: 2222 }, { host: '203.0.113.9' }]) {
      await expect(updateServerSettings(f.ctx, 'edge-1', input)).rejects.toMatchObject({
        code: 'VALIDATION',
        message: expect.stringContaining('edge server'),
      });
    }
    const after = await getServerRow(f.ctx, 'edge-1');
    expect([after.host, after.port]).toEqual([edge.host, edge.port]);
    // A plain server is not refused for being edge: it reaches the connection check (unreachable in unit tests).
    await expect(updateServerSettings(f.ctx, 'plain-1', { port: 2222 })).rejects.toMatchObject({
      code: 'SSH_UNREACHABLE',
    });
  });
});
