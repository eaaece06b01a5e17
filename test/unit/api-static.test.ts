import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixture } from './api-fixture.js';

let web: string;
let f: ApiFixture;
beforeAll(() => {
  web = mkdtempSync(join(tmpdir(), 'ikt-test-web-'));
  mkdirSync(join(web, 'assets'));
  writeFileSync(
    join(web, 'index.html'),
    '<!doctype html><div id="root"></div><script src="/assets/index-AbC123xy.js"></script>',
  );
  writeFileSync(join(web, 'assets', 'index-AbC123xy.js'), 'console.log(1)');
  writeFileSync(join(web, 'assets', 'style-Zz99Yy88.css'), 'body{}');
  writeFileSync(join(web, 'favicon.svg'), '<svg/>');
  writeFileSync(join(dirnameOf(web), 'secret.txt'), 'outside');
  f = apiFixture({ webRoot: web });
});
afterAll(async () => {
  await f.cleanup();
  rmSync(web, { recursive: true, force: true });
  rmSync(join(dirnameOf(web), 'secret.txt'), { force: true });
});
function dirnameOf(p: string) {
  return join(p, '..');
}

describe('dashboard files at /', () => {
  it('serves index.html at / with no-cache and a CSP', async () => {
    const res = await f.app.request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await res.text()).toContain('id="root"');
  });

  it('hashed assets are immutable, with the right content types', async () => {
    const js = await f.app.request('/assets/index-AbC123xy.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const css = await f.app.request('/assets/style-Zz99Yy88.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const svg = await f.app.request('/favicon.svg');
    expect(svg.headers.get('content-type')).toBe('image/svg+xml');
    expect(svg.headers.get('cache-control')).toBe('no-cache');
  });

  it('client-side routes fall back to index.html; missing assets are 404', async () => {
    for (const p of ['/servers', '/apps/api', '/apps/api/']) {
      const res = await f.app.request(p);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('id="root"');
    }
    expect((await f.app.request('/assets/missing-12345678.js')).status).toBe(404);
  });

  it('no path escapes the web root; /api paths never fall back to the dashboard', async () => {
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt']) {
      const res = await f.app.request(p);
      expect(await res.text()).not.toContain('outside');
    }
    const api = await f.req('/api/nothing-here');
    expect(api.status).toBe(404);
    expect(api.headers.get('content-type')).toMatch(/json/);
  });

  it('files are read from disk on each request, not held in memory (same size and mtime, new bytes served)', async () => {
    const file = join(web, 'assets', 'chunk-Kk77Jj66.js');
    writeFileSync(file, 'console.log("a")');
    utimesSync(file, 1_700_000_000, 1_700_000_000);
    expect(await (await f.app.request('/assets/chunk-Kk77Jj66.js')).text()).toBe('console.log("a")');
    writeFileSync(file, 'console.log("b")');
    utimesSync(file, 1_700_000_000, 1_700_000_000);
    expect(await (await f.app.request('/assets/chunk-Kk77Jj66.js')).text()).toBe('console.log("b")');
  });

  it('HEAD works for files', async () => {
    const res = await f.app.request('/', { method: 'HEAD' });
    expect(res.status).toBe(200);
  });
});
