import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureHome, resolvePaths } from '../../src/adapters/local/home.js';
import { envCipher, lazyEnvCipher } from '../../src/adapters/secrets/env-cipher.js';
import { ensureMasterKey, loadMasterKey, MASTER_KEY_BYTES } from '../../src/adapters/secrets/master-key.js';
import { main } from '../../src/cli/main.js';
import { InfraktError } from '../../src/core/errors.js';
import { Secret } from '../../src/core/secret.js';
import { createApp } from '../../src/services/apps/apps.js';
import { getEnv, listEnv, setEnv } from '../../src/services/apps/env.js';
import { registerServer } from '../../src/services/servers/servers.js';
import { fileMode, filesContaining, openTestState, removeDir, type TestState, tempDir } from '../helpers/state.js';

function secretError(fn: () => unknown): InfraktError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InfraktError);
    expect((e as InfraktError).code).toBe('SECRET');
    return e as InfraktError;
  }
  throw new Error('expected a SECRET error, got a value');
}

async function secretErrorAsync(p: Promise<unknown>): Promise<InfraktError> {
  const e = await p.then(
    () => new Error('expected a SECRET error, got a value'),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(InfraktError);
  expect((e as InfraktError).code).toBe('SECRET');
  return e as InfraktError;
}

// Flips one bit in byte `at` of the sealed form's part `part` (1 = nonce, 2 = ciphertext||tag).
function flip(sealed: string, part: 1 | 2, at: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[part]!, 'base64');
  const i = at < 0 ? bytes.length + at : at;
  bytes[i] = bytes[i]! ^ 0x01;
  parts[part] = bytes.toString('base64');
  return parts.join('.');
}

describe('env cipher (AES-256-GCM)', () => {
  const key = randomBytes(32);
  const cipher = envCipher(key);

  it.each(['postgres://u:p@h/db', '', 'é ü 日本 🔑', 'x'.repeat(65_536), 'a\nb\tc'])('round-trips %#', (v) => {
    expect(cipher.decrypt(7, 'K', cipher.encrypt(7, 'K', v))).toBe(v);
  });

  it('uses a fresh nonce per value: the same plaintext seals differently', () => {
    const a = cipher.encrypt(1, 'K', 'same');
    const b = cipher.encrypt(1, 'K', 'same');
    expect(a).not.toBe(b);
    expect(a.split('.')[1]).not.toBe(b.split('.')[1]);
    expect(Buffer.from(a.split('.')[1]!, 'base64')).toHaveLength(12);
  });

  it('does not contain the plaintext', () => {
    const sealed = cipher.encrypt(1, 'K', 'plaintext-canary');
    expect(sealed).not.toContain('plaintext-canary');
    expect(Buffer.from(sealed.split('.')[2]!, 'base64').toString('latin1')).not.toContain('plaintext-canary');
  });

  describe('tampering is detected, with an error naming the app and key', () => {
    const sealed = cipher.encrypt(3, 'DATABASE_URL', 'postgres://secret');
    it.each([
      ['ciphertext', flip(sealed, 2, 0)],
      ['nonce', flip(sealed, 1, 0)],
      ['tag', flip(sealed, 2, -1)],
      ['truncated tag', `${sealed.slice(0, -8)}`],
      ['version', sealed.replace(/^v1/, 'v2')],
      ['missing part', sealed.split('.').slice(0, 2).join('.')],
      ['garbage', 'not a sealed value'],
      ['empty', ''],
    ])('%s', (_what, bad) => {
      const e = secretError(() => cipher.decrypt(3, 'DATABASE_URL', bad, { app: 'web' }));
      expect(e.message).toContain('DATABASE_URL');
      expect(e.message).toContain('app web');
      expect(e.message).not.toContain('postgres://secret');
      expect(e.hint).toBeTruthy();
    });
  });

  it('binds a value to its key (AAD): moved to another key it fails', () => {
    const sealed = cipher.encrypt(3, 'A', 'v');
    secretError(() => cipher.decrypt(3, 'B', sealed));
    // Prefix/suffix tricks on the key name do not collide either.
    secretError(() => cipher.decrypt(3, 'A\0', sealed));
  });

  it('binds a value to its app (AAD): moved to another app it fails', () => {
    const sealed = cipher.encrypt(3, 'A', 'v');
    secretError(() => cipher.decrypt(4, 'A', sealed));
    secretError(() => cipher.decrypt(33, 'A', sealed));
  });

  it('refuses a wrong master key', () => {
    const sealed = cipher.encrypt(1, 'K', 'v');
    const e = secretError(() => envCipher(randomBytes(32)).decrypt(1, 'K', sealed, { app: 'api' }));
    expect(e.message).toMatch(/K of app api: wrong master key or tampered value/);
  });

  it('refuses a master key of the wrong size', () => {
    secretError(() => envCipher(randomBytes(16)));
    secretError(() => envCipher(Buffer.alloc(0)));
  });
});

describe('master key file', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeDir(dir));

  it('is created once with 32 random bytes and mode 0600, never overwritten', () => {
    const file = join(dir, 'master.key');
    expect(ensureMasterKey(file)).toBe(true);
    const first = readFileSync(file);
    expect(first).toHaveLength(MASTER_KEY_BYTES);
    expect(first.equals(Buffer.alloc(32))).toBe(false);
    expect(fileMode(file)).toBe(0o600);
    expect(ensureMasterKey(file)).toBe(false);
    expect(readFileSync(file).equals(first)).toBe(true);
    expect(loadMasterKey(file).equals(first)).toBe(true);
  });

  it('missing → a clear SECRET error that says so', () => {
    const e = secretError(() => loadMasterKey(join(dir, 'master.key')));
    expect(e.message).toContain('master.key is missing');
    expect(e.hint).toMatch(/backup/);
  });

  it.each([0, 16, 31, 33])('%i bytes → a clear SECRET error with the size', (n) => {
    const file = join(dir, 'master.key');
    writeFileSync(file, randomBytes(n), { mode: 0o600 });
    const e = secretError(() => loadMasterKey(file));
    expect(e.message).toContain(`is ${n} bytes, expected 32`);
  });

  it('is never silently replaced once state exists (a lost key must be noticed, not papered over)', () => {
    const paths = resolvePaths({ INFRAKT_HOME: join(dir, 'home') });
    ensureHome(paths);
    writeFileSync(paths.db, '');
    rmSync(paths.masterKey);
    expect(ensureHome(paths).created).toEqual([]);
    expect(existsSync(paths.masterKey)).toBe(false);
    expect(secretError(() => loadMasterKey(paths.masterKey)).message).toContain('is missing');
  });

  it('loaded lazily: a missing key fails a decrypt with an error naming the app and key', () => {
    let loads = 0;
    const missing = lazyEnvCipher(() => {
      loads++;
      return loadMasterKey(join(dir, 'master.key'));
    });
    expect(loads).toBe(0);
    const e = secretError(() => missing.decrypt(1, 'API_TOKEN', 'v1.x.y', { app: 'web' }));
    expect(e.message).toMatch(/^cannot decrypt API_TOKEN of app web: the master key .* is missing$/);
    secretError(() => missing.encrypt(1, 'K', 'v'));
    const key = randomBytes(32);
    const lazy = lazyEnvCipher(() => key);
    expect(lazy.decrypt(1, 'K', envCipher(key).encrypt(1, 'K', 'v'))).toBe('v');
  });

  it('tightens loosened permissions back to 0600', () => {
    const file = join(dir, 'master.key');
    ensureMasterKey(file);
    chmodSync(file, 0o644);
    loadMasterKey(file);
    expect(fileMode(file)).toBe(0o600);
  });
});

describe('Secret', () => {
  it('prints [redacted] through every accidental path', () => {
    const s = new Secret('hunter2');
    expect(`${s}`).toBe('[redacted]');
    expect(JSON.stringify({ s })).toBe('{"s":"[redacted]"}');
    expect(inspect(s)).not.toContain('hunter2');
    expect(inspect({ deep: { s } })).not.toContain('hunter2');
    expect(s.reveal()).toBe('hunter2');
  });
});

describe('stored env values', () => {
  let state: TestState;
  let home: string;
  beforeEach(async () => {
    home = join(tempDir(), 'home');
    state = openTestState(home);
    await registerServer(state.ctx, { name: 's1', host: '127.0.0.1' });
    await registerServer(state.ctx, { name: 's2', host: '127.0.0.1' });
    await createApp(state.ctx, { server: 's1', name: 'web', image: 'nginx:alpine' });
    await createApp(state.ctx, { server: 's1', name: 'api', image: 'nginx:alpine' });
    await createApp(state.ctx, { server: 's2', name: 'web', image: 'nginx:alpine' });
  });
  afterEach(async () => {
    await state.close();
    removeDir(join(home, '..'));
  });

  const raw = () => state.ctx.store.raw!;
  const appId = (server: string, name: string) =>
    raw()
      .prepare(
        'SELECT apps.id FROM apps JOIN servers ON servers.id = apps.server_id WHERE servers.name=? AND apps.name=?',
      )
      .pluck()
      .get(server, name) as number;

  it('a tampered value in the database → SECRET error naming app and key, not garbage', async () => {
    await setEnv(state.ctx, 'api', ['TOKEN=abc123']);
    const row = raw().prepare("SELECT id, value_enc FROM env_vars WHERE key='TOKEN'").get() as {
      id: number;
      value_enc: string;
    };
    raw()
      .prepare('UPDATE env_vars SET value_enc=? WHERE id=?')
      .run(flip(row.value_enc, 2, 2), row.id);
    const e = await secretErrorAsync(getEnv(state.ctx, 'api', 'TOKEN'));
    expect(e.message).toBe('cannot decrypt TOKEN of app api: wrong master key or tampered value');
    await secretErrorAsync(listEnv(state.ctx, 'api', { reveal: true }));
    // Masked listing does not decrypt, so it still works and the user can see what to reset.
    expect((await listEnv(state.ctx, 'api')).map((e) => e.key)).toEqual(['TOKEN']);
  });

  it('a value copied to another key of the same app does not decrypt', async () => {
    await setEnv(state.ctx, 'api', ['A=alpha', 'B=beta']);
    const a = raw().prepare("SELECT value_enc FROM env_vars WHERE key='A'").pluck().get() as string;
    raw().prepare("UPDATE env_vars SET value_enc=? WHERE key='B'").run(a);
    const e = await secretErrorAsync(getEnv(state.ctx, 'api', 'B'));
    expect(e.message).toContain('B of app api');
    expect((await getEnv(state.ctx, 'api', 'A')).reveal()).toBe('alpha');
  });

  it('a value copied to another app (same key, even same app name elsewhere) does not decrypt', async () => {
    await setEnv(state.ctx, 'web', ['K=on-s1'], 's1');
    await setEnv(state.ctx, 'web', ['K=on-s2'], 's2');
    const fromS1 = raw()
      .prepare('SELECT value_enc FROM env_vars WHERE app_id=? AND key=?')
      .pluck()
      .get(appId('s1', 'web'), 'K') as string;
    raw().prepare('UPDATE env_vars SET value_enc=? WHERE app_id=? AND key=?').run(fromS1, appId('s2', 'web'), 'K');
    await secretErrorAsync(getEnv(state.ctx, 'web', 'K', 's2'));
    expect((await getEnv(state.ctx, 'web', 'K', 's1')).reveal()).toBe('on-s1');
  });

  it('a replaced master key → SECRET error, never garbage', async () => {
    await setEnv(state.ctx, 'api', ['K=v']);
    const other = openTestState(join(tempDir(), 'home'));
    try {
      const sealed = raw().prepare("SELECT value_enc FROM env_vars WHERE key='K'").pluck().get() as string;
      secretError(() => other.ctx.cipher.decrypt(appId('s1', 'api'), 'K', sealed, { app: 'api' }));
    } finally {
      await other.close();
      removeDir(join(other.paths.home, '..'));
    }
  });

  it('the plaintext is nowhere in INFRAKT_HOME while the database is open (db, -wal, -shm)', async () => {
    const canary = `ikt-canary-${randomBytes(12).toString('hex')}`;
    await setEnv(state.ctx, 'api', [`SECRET_TOKEN=${canary}`, `OTHER=x${canary}y`]);
    expect(existsSync(`${state.paths.db}-wal`)).toBe(true);
    expect(filesContaining(home, canary)).toEqual([]);
    expect((await getEnv(state.ctx, 'api', 'SECRET_TOKEN')).reveal()).toBe(canary);
    // The probe can find things: the key name is stored in clear and must be found.
    expect(filesContaining(home, 'SECRET_TOKEN').length).toBeGreaterThan(0);
  });
});

describe('a canary set through the CLI', () => {
  let home: string;
  const saved = process.env.INFRAKT_HOME;
  beforeEach(() => {
    home = join(tempDir(), 'home');
    process.env.INFRAKT_HOME = home;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.INFRAKT_HOME;
    else process.env.INFRAKT_HOME = saved;
    removeDir(join(home, '..'));
  });

  const cli = async (...args: string[]) => {
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const writeErr = process.stderr.write.bind(process.stderr);
    process.stdout.write = ((s: string) => out.push(String(s)) > 0) as typeof process.stdout.write;
    process.stderr.write = ((s: string) => out.push(String(s)) > 0) as typeof process.stderr.write;
    try {
      return { code: await main(['node', 'infrakt', ...args]), output: out.join('') };
    } finally {
      process.stdout.write = write;
      process.stderr.write = writeErr;
    }
  };

  it('appears in no file of INFRAKT_HOME, and in no output except an explicit get', async () => {
    const canary = `ikt-canary-${randomBytes(12).toString('hex')}`;
    // Registered through the services: `server add` also probes SSH, which is not this test's business.
    const seed = openTestState(home);
    await registerServer(seed.ctx, { name: 's1', host: '127.0.0.1' });
    await seed.close();
    expect((await cli('app', 'create', '--server', 's1', '--name', 'web', '--image', 'nginx:alpine')).code).toBe(0);
    const set = await cli('env', 'set', 'web', `API_TOKEN=${canary}`, `URL=https://u:${canary}@x.io`);
    expect(set.code).toBe(0);
    expect(set.output).not.toContain(canary);
    expect((await cli('env', 'list', 'web')).output).not.toContain(canary);
    expect((await cli('env', 'list', 'web', '--json')).output).not.toContain(canary);
    // A bad call carrying the canary neither stores nor echoes it.
    const bad = await cli('env', 'set', 'web', `=${canary}`, canary);
    expect(bad.code).toBe(2);
    expect(bad.output).not.toContain(canary);
    expect((await cli('env', 'get', 'web', 'API_TOKEN')).output).toBe(`${canary}\n`);
    expect(filesContaining(home, canary)).toEqual([]);
    expect(filesContaining(home, 'API_TOKEN').length).toBeGreaterThan(0);
  });
});
