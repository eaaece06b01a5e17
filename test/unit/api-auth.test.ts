import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  apiKeyMatches,
  apiKeySource,
  ensureApiKey,
  loadApiKey,
  rotateApiKey,
} from '../../src/adapters/secrets/api-key.js';
import { ROUTE_PERMISSIONS } from '../../src/api/auth/route-permissions.js';
import { FailureLimiter } from '../../src/api/auth.js';
import { type ApiFixture, apiFixture, body, registeredApiRoutes } from './api-fixture.js';

let f: ApiFixture;
beforeEach(() => {
  f = apiFixture();
});
afterEach(async () => {
  await f.cleanup();
});

const concrete = (path: string) =>
  path
    .replace(':name', 'web-1')
    .replace(':id', 'j_abc')
    .replace(':key', 'SOME_KEY')
    .replace(':domain', 'a.example.com')
    .replace(/:[a-zA-Z]+/g, 'x');

let addrSeq = 0;
const nextAddr = () => `198.51.100.${++addrSeq % 250}`;

describe('every route but the public ones (health, sign-in) requires credentials', () => {
  it('enumerates the registered routes: 401 without a key, 403 with a wrong one', async () => {
    const routes = registeredApiRoutes(f.app).filter((r) => ROUTE_PERMISSIONS[`${r.method} ${r.path}`] !== 'public');
    expect(routes.length).toBeGreaterThanOrEqual(18);
    for (const r of routes) {
      const init = {
        method: r.method,
        headers: { 'Content-Type': 'application/json' },
        body: r.method === 'GET' ? undefined : '{}',
      };
      const none = await f.app.request(concrete(r.path), init, { incoming: { socket: { remoteAddress: nextAddr() } } });
      expect([r.method, r.path, none.status]).toEqual([r.method, r.path, 401]);
      expect((await body(none)).error.code).toBe('UNAUTHORIZED');
      const wrong = await f.app.request(
        concrete(r.path),
        { ...init, headers: { ...init.headers, 'X-API-Key': `${f.key.slice(0, -1)}x` } },
        { incoming: { socket: { remoteAddress: nextAddr() } } },
      );
      expect([r.method, r.path, wrong.status]).toEqual([r.method, r.path, 403]);
      expect((await body(wrong)).error.code).toBe('FORBIDDEN');
    }
  });

  it('serves the OpenAPI document without a key (client generators), and nothing else besides health', async () => {
    const doc = await f.app.request('/api/openapi.json', {}, { incoming: { socket: { remoteAddress: nextAddr() } } });
    expect(doc.status).toBe(200);
    expect(((await doc.json()) as { openapi: string }).openapi).toBe('3.1.0');
    expect((await f.app.request('/api/openapi.json', { method: 'POST' })).status).toBe(401);
    expect((await f.app.request('/api/openapi.json/x')).status).toBe(401);
    const docsPage = await f.app.request('/docs');
    expect(docsPage.status).toBe(200);
  });

  it('unknown /api paths also answer 401 without a key (no route discovery)', async () => {
    expect((await f.app.request('/api/does-not-exist')).status).toBe(401);
  });

  it('the key never appears in a response', async () => {
    for (const p of ['/api/dashboard', '/api/openapi.json', '/api/servers', '/api/nope']) {
      expect(await (await f.req(p)).text()).not.toContain(f.key);
    }
    const wrong = await f.req('/api/servers', { headers: { 'X-API-Key': f.key.toUpperCase() } });
    expect(await wrong.text()).not.toContain(f.key.toUpperCase());
  });
});

describe('rate limiting of failures per address', () => {
  it('after 10 failures in the window → 429 with Retry-After for failing requests; other addresses unaffected', async () => {
    for (let i = 0; i < 10; i++) {
      const r = await f.req('/api/servers', { addr: '203.0.113.66', headers: { 'X-API-Key': 'wrong' } });
      expect(r.status).toBe(403);
    }
    const blocked = await f.req('/api/servers', { addr: '203.0.113.66', headers: { 'X-API-Key': 'wrong' } });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await body(blocked)).error.code).toBe('RATE_LIMITED');
    expect((await f.req('/api/servers', { addr: '203.0.113.66', headers: { 'X-API-Key': '' } })).status).toBe(429);
    expect((await f.req('/api/servers', { addr: '203.0.113.67', headers: { 'X-API-Key': 'wrong' } })).status).toBe(403);
  });

  it('a local process cannot lock the owner out: 100 failures from 127.0.0.1, then the right key gets 200 at once', async () => {
    for (let i = 0; i < 100; i++) {
      const headers: Record<string, string> = i % 2 ? { 'X-API-Key': `wrong-${i}` } : { 'X-API-Key': '' };
      expect([401, 403, 429]).toContain((await f.req('/api/servers', { addr: '127.0.0.1', headers })).status);
    }
    const owner = await f.req('/api/servers', { addr: '127.0.0.1' });
    expect(owner.status).toBe(200);
    // ... while the failing client stays throttled, with Retry-After.
    const still = await f.req('/api/servers', { addr: '127.0.0.1', headers: { 'X-API-Key': 'wrong' } });
    expect(still.status).toBe(429);
    expect(Number(still.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('the window slides: old failures expire', () => {
    let now = 0;
    const l = new FailureLimiter({ max: 3, windowMs: 1000 }, () => now);
    for (let i = 0; i < 3; i++) {
      l.fail('a');
      now += 100;
    }
    expect(l.blockedFor('a')).toBe(700); // now=300; the first failure (t=0) leaves the window at t=1000
    now = 1001;
    expect(l.blockedFor('a')).toBe(0);
    l.fail('a');
    expect(l.blockedFor('a')).toBe(99); // failures at 100, 200, 1001: free again at 1100
  });
});

describe('API key file', () => {
  it('created 0600 once, base64url of 32 bytes; rotate replaces it and the source follows', () => {
    const file = join(f.home, 'k2');
    const a = ensureApiKey(file);
    expect(a.created).toBe(true);
    expect(a.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(ensureApiKey(file)).toEqual({ key: a.key, created: false });
    const source = apiKeySource(file);
    expect(source()).toBe(a.key);
    const b = rotateApiKey(file);
    expect(b).not.toBe(a.key);
    expect(source()).toBe(b);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('loosened permissions are tightened; a malformed file is a SECRET error', () => {
    const file = join(f.home, 'k3');
    ensureApiKey(file);
    chmodSync(file, 0o644);
    loadApiKey(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileSync(file, 'short');
    expect(() => loadApiKey(file)).toThrow(/malformed/);
  });

  it('compare is by hash: any length works, only the exact key matches', () => {
    expect(apiKeyMatches('abc', 'abc')).toBe(true);
    expect(apiKeyMatches('abc', 'abd')).toBe(false);
    expect(apiKeyMatches('abc', '')).toBe(false);
    expect(apiKeyMatches('abc', 'abc'.repeat(1000))).toBe(false);
  });

  it('a rotated key is accepted by a running app at once, the old one refused', async () => {
    const g = apiFixture();
    try {
      const { apiKeySource: src } = await import('../../src/adapters/secrets/api-key.js');
      const file = join(g.home, 'api_key');
      const app = (await import('../../src/api/app.js')).createApiApp(g.ctx, { apiKey: src(file), log: () => {} });
      const env = { incoming: { socket: { remoteAddress: '192.0.2.1' } } };
      expect((await app.request('/api/servers', { headers: { 'X-API-Key': g.key } }, env)).status).toBe(200);
      const fresh = rotateApiKey(file);
      expect((await app.request('/api/servers', { headers: { 'X-API-Key': g.key } }, env)).status).toBe(403);
      expect((await app.request('/api/servers', { headers: { 'X-API-Key': fresh } }, env)).status).toBe(200);
    } finally {
      await g.cleanup();
    }
  });
});

describe('CORS', () => {
  it('same-origin by default: no CORS headers for a foreign origin', async () => {
    const res = await f.req('/api/servers', { headers: { Origin: 'https://evil.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('an explicit allowlist answers preflights without a key, only for listed origins', async () => {
    const g = apiFixture({ corsOrigins: ['https://dash.example.com'] });
    try {
      const pre = await g.app.request('/api/servers', {
        method: 'OPTIONS',
        headers: {
          Origin: 'https://dash.example.com',
          'Access-Control-Request-Method': 'GET',
          'Access-Control-Request-Headers': 'x-api-key',
        },
      });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('access-control-allow-origin')).toBe('https://dash.example.com');
      expect(pre.headers.get('access-control-allow-headers')).toMatch(/X-API-Key/i);
      const other = await g.req('/api/servers', { headers: { Origin: 'https://evil.example' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const ok = await g.req('/api/servers', { headers: { Origin: 'https://dash.example.com' } });
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://dash.example.com');
    } finally {
      await g.cleanup();
    }
  });
});

describe('--trust-proxy', () => {
  it('attributes loopback requests to the address the proxy appended, and only loopback ones', async () => {
    const { proxiedAddress } = await import('../../src/api/auth.js');
    const g = apiFixture({ clientAddress: proxiedAddress(), rateLimit: { max: 2, windowMs: 60_000 } });
    try {
      const wrong = (addr: string, xff: string) =>
        g.req('/api/servers', { addr, headers: { 'X-API-Key': 'wrong', 'X-Forwarded-For': xff } });
      // The attacker behind the proxy fails twice; a spoofed first entry does not change who it is.
      expect((await wrong('127.0.0.1', '203.0.113.1')).status).toBe(403);
      expect((await wrong('127.0.0.1', '1.1.1.1, 203.0.113.1')).status).toBe(403);
      expect((await wrong('127.0.0.1', '203.0.113.1')).status).toBe(429);
      // The owner, also behind the proxy, is not locked out (nor would be from the attacker's address).
      expect(
        (await g.req('/api/servers', { addr: '127.0.0.1', headers: { 'X-Forwarded-For': '203.0.113.1' } })).status,
      ).toBe(200);
      expect(
        (await g.req('/api/servers', { addr: '127.0.0.1', headers: { 'X-Forwarded-For': '198.51.100.7' } })).status,
      ).toBe(200);
      // A direct (non-loopback) peer cannot choose its bucket with the header.
      expect((await wrong('192.0.2.50', '198.51.100.99')).status).toBe(403);
      expect((await wrong('192.0.2.50', '198.51.100.98')).status).toBe(403);
      expect((await wrong('192.0.2.50', '198.51.100.97')).status).toBe(429);
    } finally {
      await g.cleanup();
    }
  });
});
