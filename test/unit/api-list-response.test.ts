// A hot list over a real socket: the read cache's encoded body is handed to the socket as it is, not rebuilt into
// a stream (a 300 KiB copy per request), and every /api answer still carries no-store and nosniff.
import { mkdtempSync, rmSync } from 'node:fs';
import { get, type IncomingHttpHeaders, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolvePaths } from '../../src/adapters/local/home.js';
import { loadApiKey } from '../../src/adapters/secrets/api-key.js';
import { type RunningServer, startApiServer } from '../../src/api/server.js';

const APPS = 300;
let home: string;
let srv: RunningServer;
let key: string;

function fetchRaw(path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
    get(`${srv.url}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'ikt-test-list-response-'));
  srv = await startApiServer({
    port: 0,
    host: '127.0.0.1',
    paths: resolvePaths({ INFRAKT_HOME: home }),
    webRoot: null,
    log: () => {},
  });
  key = loadApiKey(srv.apiKeyFile);
  const now = new Date().toISOString();
  const { db } = srv.ctx.store;
  const server = await db
    .insertInto('servers')
    .values({
      name: 'web-1',
      host: '127.0.0.1',
      port: 1,
      user: 'root',
      key_path: null,
      provider: null,
      root_dir: '/opt/infrakt',
      status: 'ready',
      host_key_fingerprint: null,
      host_key: null,
      settings_json: '{}',
      last_checked_at: null,
      last_error: null,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('apps')
    .values(
      Array.from({ length: APPS }, (_, i) => ({
        server_id: server.id,
        name: `app-${i}`,
        app_type: 'image',
        domain: `app-${i}.example.com`,
        port: 3000,
        git_repo: null,
        branch: null,
        image: 'nginx:alpine',
        status: 'created',
        settings_json: '{}',
        current_release: null,
        created_at: now,
        updated_at: now,
      })),
    )
    .execute();
});

afterAll(async () => {
  await srv?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('GET /api/apps over a socket', () => {
  it('the cached list goes to the socket as the same bytes each time, with its length; headers as before', async () => {
    const end = vi.spyOn(ServerResponse.prototype, 'end');
    // The first request fills the read cache, the next are hits: all go out the same way.
    for (let round = 0; round < 3; round++) {
      const res = await fetchRaw('/api/apps', { 'X-API-Key': key });
      expect(res.status).toBe(200);
      expect(res.headers['transfer-encoding']).toBeUndefined();
      expect(Number(res.headers['content-length'])).toBe(res.body.length);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(JSON.parse(res.body.toString())).toHaveLength(APPS);
    }
    const bodies = end.mock.calls.map((c) => c[0]).filter((b): b is Uint8Array => b instanceof Uint8Array);
    end.mockRestore();
    expect(bodies).toHaveLength(3);
    expect(new Set(bodies.map((b) => b.buffer)).size).toBe(1);
  });

  it('refusals and unknown paths carry no-store and nosniff too', async () => {
    for (const res of [await fetchRaw('/api/apps'), await fetchRaw('/api/nope', { 'X-API-Key': key })]) {
      expect([401, 404]).toContain(res.status);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });
});
