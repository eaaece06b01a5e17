// Named secrets through the built CLI: secret set/list/get/delete, `db create --store-as-secret`,
// `server exec --store-as-secret`, and env values that reference a secret reaching a deployed app.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DbEnv, dbEnv } from './db-harness.js';

describe('secrets (built CLI, harness server, real Redis)', { timeout: 300_000 }, () => {
  let env: DbEnv;
  beforeAll(async () => {
    env = await dbEnv(['redis']);
  }, 300_000);
  afterAll(() => env?.close());

  it('set from stdin, list names only, get reveals, delete; a value on argv is not possible', async () => {
    expect((await env.cli(['secret', 'set', 'api-key'], { input: 'k-91c2e7f0aa\n' })).code).toBe(0);
    const list = await env.cli(['secret', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toEqual([expect.objectContaining({ name: 'api-key', source: 'user' })]);
    expect(list.stdout).not.toContain('k-91c2e7f0aa');
    expect((await env.cli(['secret', 'get', 'api-key'])).stdout).toBe('k-91c2e7f0aa\n');
    const empty = await env.cli(['secret', 'set', 'empty'], { input: '' });
    expect(empty.code).toBe(2);
    expect((await env.cli(['secret', 'set', 'x', 'value'])).code).toBe(2);
    expect((await env.cli(['secret', 'delete', 'api-key'])).code).toBe(0);
    expect((await env.cli(['secret', 'get', 'api-key'])).code).toBe(3);
  });

  it('db create --store-as-secret keeps the connection string out of the output and in a secret', async () => {
    const name = `${env.prefix}-cache`;
    const r = await env.cli([
      'db',
      'create',
      '--server',
      env.server,
      '--name',
      name,
      '--type',
      'redis',
      '--version',
      '7',
      '--store-as-secret',
      'cache-url',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toMatch(/redis:\/\//);
    expect(r.stdout).toContain('stored (encrypted) as secret cache-url');
    const url = (await env.cli(['secret', 'get', 'cache-url'])).stdout.trim();
    expect(url).toMatch(new RegExp(`^redis://:[A-Za-z0-9_-]{32}@${name}:6379`));
    const list = JSON.parse((await env.cli(['secret', 'list', '--json'])).stdout) as { name: string; source: string }[];
    expect(list.find((s) => s.name === 'cache-url')?.source).toBe(`db create ${env.server}/${name}`);
    // A second database may not overwrite it.
    const again = await env.cli([
      'db',
      'create',
      '--server',
      env.server,
      '--name',
      `${name}-2`,
      '--type',
      'redis',
      '--version',
      '7',
      '--store-as-secret',
      'cache-url',
    ]);
    expect(again.code).toBe(4);
    expect(JSON.parse((await env.cli(['db', 'list', '--json'])).stdout)).toHaveLength(1);
  });

  it('server exec --store-as-secret stores stdout without printing it; a failing command stores nothing', async () => {
    const r = await env.cli([
      'server',
      'exec',
      '--server',
      env.server,
      '--store-as-secret',
      'generated',
      '--',
      'printf',
      'tok-%s',
      '5d1e9b77c0',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('5d1e9b77c0');
    expect((await env.cli(['secret', 'get', 'generated'])).stdout).toBe('tok-5d1e9b77c0\n');
    const failed = await env.cli([
      'server',
      'exec',
      '--server',
      env.server,
      '--store-as-secret',
      'nope',
      '--',
      'sh',
      '-c',
      'echo leaked-9f8e7d; exit 3',
    ]);
    expect(failed.code).toBe(13);
    expect(failed.stdout + failed.stderr).not.toContain('leaked-9f8e7d');
    expect((await env.cli(['secret', 'get', 'nope'])).code).toBe(3);
    const two = await env.cli(['server', 'exec', '--all', '--store-as-secret', 'x', '--', 'true']);
    expect(two.code).toBe(2);
  });
});
