// Hostile inputs of the outside review (issue 11 item 9 and the API side of items 1, 3, 6, 7): each gets a
// clear 4xx / VALIDATION and changes nothing; none is an internal error, none hangs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readComposeFile } from '../../src/cli/options.js';
import type { InfraktError } from '../../src/core/errors.js';
import { healthCheckSchema } from '../../src/core/schemas/app.js';
import { domainListSchema, memorySchema, volumeListSchema } from '../../src/core/schemas/app-settings.js';
import { portSchema, remoteRootSchema } from '../../src/core/schemas/common.js';
import { parseInput } from '../../src/core/schemas/parse.js';
import { proxySettingsSchema } from '../../src/core/schemas/server.js';
import { infraktArgs, parseAsCli } from '../helpers/cli-parse.js';
import { type ApiFixture, apiFixture, body, registeredApiRoutes } from './api-fixture.js';

let f: ApiFixture | undefined;
afterEach(async () => {
  await f?.cleanup();
  f = undefined;
});

const ALIAS_BOMB = [
  'x-a: &a ["x","x","x","x","x","x","x","x","x","x"]',
  'x-b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  'x-c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  'x-d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  'x-e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  'x-f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  'services:',
  '  web:',
  '    image: nginx',
  '    ports: ["3000"]',
  '    command: *f',
  '',
].join('\n');

describe('--root', () => {
  it.each(['//', '/', '///', '/./', '/.', '/a/../b', '..', 'relative', ''])('refuses %j', (root) => {
    expect(remoteRootSchema.safeParse(root).success).toBe(false);
  });
  it.each([
    ['/opt//infrakt/', '/opt/infrakt'],
    ['/opt/./infrakt', '/opt/infrakt'],
    ['/srv/ikt', '/srv/ikt'],
  ])('normalises %j to %j', (root, out) => {
    expect(remoteRootSchema.parse(root)).toBe(out);
  });
});

describe('--proxy-admin', () => {
  it.each(['localhost:99999', 'localhost:0', '127.0.0.1:65536', '[::1]:00000'])('refuses %j', (a) => {
    expect(proxySettingsSchema.safeParse({ adminAddress: a }).success).toBe(false);
  });
  it.each(['localhost:2019', '127.0.0.1:1', '[::1]:65535'])('accepts %j', (a) => {
    expect(proxySettingsSchema.safeParse({ adminAddress: a }).success).toBe(true);
  });
});

describe('--compose-file', () => {
  it('a device, a FIFO or a directory is refused at once, never read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ikt-test-compose-'));
    try {
      execFileSync('mkfifo', [join(dir, 'fifo')]);
      // A blocking open of the FIFO or a read of /dev/zero would never return: reaching the end is the proof.
      for (const p of ['/dev/zero', '/dev/urandom', join(dir, 'fifo'), dir]) {
        expect(() => readComposeFile(p)).toThrow(/not a regular file/);
      }
      expect(() => readComposeFile(join(dir, 'missing.yml'))).toThrow(/missing or unreadable/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('over the API', () => {
  it('a YAML alias bomb in a compose file is VALIDATION (400), not an internal error', async () => {
    f = apiFixture();
    await f.req('/api/servers', { method: 'POST', json: { name: 'web-1', host: '203.0.113.5' } });
    const res = await f.req('/api/apps', {
      method: 'POST',
      json: { server: 'web-1', name: 'bomb', port: 3000, composeFile: ALIAS_BOMB },
    });
    expect(res.status).toBe(400);
    expect((await body(res)).error.message).toMatch(/alias/i);
  });

  it('a body that is not JSON is 400 on every route that takes one', async () => {
    f = apiFixture();
    await f.req('/api/servers', { method: 'POST', json: { name: 'web-1', host: '203.0.113.5' } });
    await f.req('/api/apps', { method: 'POST', json: { server: 'web-1', name: 'api', image: 'nginx' } });
    const routes = registeredApiRoutes(f.app).filter((r) => ['POST', 'PUT', 'PATCH'].includes(r.method));
    expect(routes.length).toBeGreaterThan(10);
    for (const r of routes) {
      const path = r.path
        .replace(/^\/api\/servers\/:name/, '/api/servers/web-1')
        .replace(/^\/api\/apps\/:name/, '/api/apps/api')
        .replace(/:[a-zA-Z]+/g, 'x');
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const res = await f.req(path, { method: r.method, headers: { 'Content-Type': type }, body: 'a=1' });
        expect([r.method, r.path, type, res.status]).toEqual([r.method, r.path, type, 400]);
      }
    }
  });

  it('hostile bodies: a clear 4xx each, nothing created', async () => {
    f = apiFixture();
    await f.req('/api/servers', { method: 'POST', json: { name: 'web-1', host: '203.0.113.5' } });
    await f.req('/api/apps', { method: 'POST', json: { server: 'web-1', name: 'api', image: 'nginx' } });
    const cases: [string, string, unknown][] = [
      ['POST', '/api/servers', { name: 'r1', host: '203.0.113.6', root: '//' }],
      ['POST', '/api/servers', { name: 'r2', host: '203.0.113.6', root: '/' }],
      ['POST', '/api/servers', { name: 'r3', host: 'local' }],
      ['POST', '/api/servers', { name: 'r4', host: '203.0.113.6', keyPath: '/etc/shadow' }],
      ['POST', '/api/servers', { name: 'r5', host: '203.0.113.6', keyPath: '/dev/zero' }],
      ['POST', '/api/apps', { server: 'web-1', name: 'g1', git: 'https://github.com\\@127.0.0.1:8443/o/r.git' }],
      ['POST', '/api/apps', { server: 'web-1', name: 'g2', git: 'https://8.8.8.8\\@169.254.169.254/x.git' }],
      ['POST', '/api/apps', { server: 'web-1', name: 'g3', git: 'https://github.com\\@[::1]/x.git' }],
      ['PUT', '/api/servers/web-1/proxy/settings', { adminAddress: 'localhost:99999' }],
      ['PUT', '/api/servers/web-1/proxy/settings', { adminAddress: 'localhost:0' }],
      ['PUT', '/api/apps/api/env', { vars: JSON.parse('{"__proto__": "x"}') }],
      ['PUT', '/api/apps/api/env', { vars: { constructor: 'x' } }],
      ['PUT', '/api/apps/api/env', { vars: { LONE: 'a\ud800b' } }],
      ['PUT', '/api/apps/api/env', { vars: { BIG: '日'.repeat(30_000) } }],
    ];
    for (const [method, path, json] of cases) {
      // JSON.stringify writes a lone surrogate as \ud800, which JSON.parse on the server turns back into one.
      const res = await f.req(path, { method, json });
      expect([path, JSON.stringify(json).slice(0, 80), res.status]).toEqual([
        path,
        JSON.stringify(json).slice(0, 80),
        path === '/api/servers' && (json as { host?: string }).host === 'local' ? 403 : 400,
      ]);
    }
    expect((await body(await f.req('/api/servers'))).map((s: { name: string }) => s.name)).toEqual(['web-1']);
    expect((await body(await f.req('/api/apps'))).map((a: { name: string }) => a.name)).toEqual(['api']);
    expect(await body(await f.req('/api/apps/api/env'))).toEqual([]);
  });
});

describe('bodies of the wrong shape (every route that takes one)', () => {
  /** Routes with a path filled for the fixture's server web-1 and app api. */
  const filled = (fx: ApiFixture) =>
    registeredApiRoutes(fx.app)
      .filter((r) => ['POST', 'PUT', 'PATCH'].includes(r.method) && !r.path.endsWith('/forget'))
      .map((r) => ({
        ...r,
        url: r.path
          .replace(/^\/api\/servers\/:name/, '/api/servers/web-1')
          .replace(/^\/api\/apps\/:name/, '/api/apps/api')
          .replace(/:[a-zA-Z]+/g, 'x'),
      }));

  it('a JSON body that is not an object, or has wrong types, is a 4xx without internals, never a 500', async () => {
    f = apiFixture();
    await f.req('/api/servers', { method: 'POST', json: { name: 'web-1', host: '203.0.113.5' } });
    await f.req('/api/apps', { method: 'POST', json: { server: 'web-1', name: 'api', image: 'nginx' } });
    const bad: string[] = [];
    for (const r of filled(f)) {
      for (const json of [null, [], 'x', 7, true, { name: 1, server: [], vars: 'x', image: 5, port: 'x' }]) {
        const res = await f.req(r.url, { method: r.method, json });
        const text = await res.text();
        if (res.status >= 500 || /\n\s+at |node_modules|SqliteError/.test(text))
          bad.push(`${r.method} ${r.path} ${JSON.stringify(json)} -> ${res.status} ${text.slice(0, 120)}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('an unknown field is refused naming it, and changes nothing (a misspelt field never looks applied)', async () => {
    f = apiFixture();
    await f.req('/api/servers', { method: 'POST', json: { name: 'web-1', host: '203.0.113.5' } });
    await f.req('/api/apps', { method: 'POST', json: { server: 'web-1', name: 'api', image: 'nginx' } });
    const before = JSON.stringify(await body(await f.req('/api/servers/web-1')));
    const cases: [string, string, unknown, string][] = [
      ['PUT', '/api/servers/web-1/proxy/settings', { proxyTLS: 'off' }, 'proxyTLS'],
      ['PATCH', '/api/servers/web-1/settings', { acmeEmail: 'ops@example.com', acme_email: 'x' }, 'acme_email'],
      ['PATCH', '/api/servers/web-1', { port: 2222, hots: '203.0.113.9' }, 'hots'],
      ['PATCH', '/api/apps/api', { imagee: 'nginx:2' }, 'imagee'],
      ['POST', '/api/apps', { server: 'web-1', name: 'api2', image: 'nginx', domians: ['a.example.com'] }, 'domians'],
      ['POST', '/api/servers', { name: 'web-2', host: '203.0.113.6', fingerprnt: 'SHA256:x' }, 'fingerprnt'],
      ['POST', '/api/apps/api/deploy', { comit: 'abc' }, 'comit'],
    ];
    for (const [method, path, json, field] of cases) {
      const res = await f.req(path, { method, json });
      const b = await body(res);
      expect([path, res.status, b.error?.code]).toEqual([path, 400, 'VALIDATION']);
      expect(b.error.details.issues).toContainEqual({ field, message: 'unknown field' });
    }
    expect(JSON.stringify(await body(await f.req('/api/servers/web-1')))).toBe(before);
    expect((await body(await f.req('/api/servers'))).map((s: { name: string }) => s.name)).toEqual(['web-1']);
    expect((await body(await f.req('/api/apps'))).map((a: { name: string; image: string }) => [a.name])).toEqual([
      ['api'],
    ]);
    expect((await body(await f.req('/api/jobs'))).length).toBe(0);
  });
});

describe('one bad value is one problem', () => {
  // A value failing its format used to fail every check after it too: `--memory lots` said "3 problems" and listed
  // "must be at least 6m" and "is larger than any server" beside the real one.
  it('the CLI parse names the field once, with no "N problems" hint', () => {
    const schema = z.object({ memory: memorySchema.optional(), port: portSchema.optional() });
    const err = (() => {
      try {
        parseInput(schema, { memory: 'lots' });
      } catch (e) {
        return e as InfraktError;
      }
      throw new Error('accepted');
    })();
    expect(err.code).toBe('VALIDATION');
    expect(err.message).toBe('invalid memory: must be a size such as 512m or 2g (units b, k, m, g)');
    expect(err.details?.issues).toHaveLength(1);
    expect(err.hint).toBeUndefined();
  });

  it('the API lists the field once, with no "N problems" hint', async () => {
    f = apiFixture();
    await f.req('/api/servers', { method: 'POST', json: { name: 'web-1', host: '203.0.113.5' } });
    await f.req('/api/apps', { method: 'POST', json: { server: 'web-1', name: 'api', image: 'nginx' } });
    const res = await f.req('/api/apps/api', { method: 'PATCH', json: { memory: 'lots' } });
    expect(res.status).toBe(400);
    const { error } = await body(res);
    expect(error.details.issues).toEqual([
      { field: 'memory', message: 'must be a size such as 512m or 2g (units b, k, m, g)' },
    ]);
    expect(error.hint).toBeUndefined();
  });
});

describe('repeatable options and long values', () => {
  it('a bad entry of a list names the option and the entry ("domain.1", not "1")', () => {
    expect(() => parseInput(domainListSchema, ['ok.example.com', 'bad domain'], 'domain')).toThrow(
      /^invalid domain\.1: must be a fully qualified host name/,
    );
    expect(() => parseInput(volumeListSchema, ['../../etc:/x'], 'volume')).toThrow(/^invalid volume\.0: /);
  });

  it('a health path longer than 2048 characters is refused (CLI and API alike), and nothing changes', async () => {
    expect(() => parseInput(healthCheckSchema, { path: `/${'a'.repeat(5000)}` }, 'health')).toThrow(
      /^invalid path: must be at most 2048 characters/,
    );
    f = apiFixture();
    await f.req('/api/servers', { method: 'POST', json: { name: 'web-1', host: '203.0.113.5' } });
    await f.req('/api/apps', { method: 'POST', json: { server: 'web-1', name: 'api', image: 'nginx' } });
    const before = JSON.stringify(await body(await f.req('/api/apps/api')));
    const res = await f.req('/api/apps/api', { method: 'PATCH', json: { healthPath: `/${'a'.repeat(5000)}` } });
    expect(res.status).toBe(400);
    expect((await body(res)).error.message).toMatch(/2048/);
    expect(JSON.stringify(await body(await f.req('/api/apps/api')))).toBe(before);
  });
});

describe('counts on the command line', () => {
  // A negative, zero or non-numeric count was taken as "everything" (`audit list --limit abc` listed it all).
  it.each([
    'infrakt job list --limit -5',
    'infrakt job list --limit 0',
    'infrakt job list --limit 501',
    'infrakt audit list --limit abc',
    'infrakt audit list --limit -2',
    'infrakt app logs web --lines -5',
    'infrakt app logs web --lines 0',
    'infrakt app deployments web --limit -1',
    'infrakt notify deliveries --limit -3',
    'infrakt app webhook deliveries web --limit 0',
  ])('%s is refused before anything runs', async (line) => {
    await expect(parseAsCli(infraktArgs(line))).rejects.toThrow(/whole number/);
  });

  it.each(['infrakt job list --limit 500', 'infrakt audit list --limit 1', 'infrakt app logs web --lines 5000'])(
    '%s is accepted',
    async (line) => {
      expect(await parseAsCli(infraktArgs(line))).toHaveLength(1);
    },
  );
});
