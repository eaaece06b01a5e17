import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ensureHome, resolvePaths } from '../../src/adapters/local/home.js';
import { migrate } from '../../src/adapters/store/migrate.js';
import { MIGRATIONS } from '../../src/adapters/store/migrations/index.js';
import { openStore, type Store } from '../../src/adapters/store/open.js';
import { InfraktError } from '../../src/core/errors.js';
import { createApp, listApps, resolveApp } from '../../src/services/apps/apps.js';
import { setEnv } from '../../src/services/apps/env.js';
import { listServers, registerServer, removeServer } from '../../src/services/servers/servers.js';
import { dumpTables, fileMode, openTestState, removeDir, type TestState, tempDir } from '../helpers/state.js';

const LATEST = MIGRATIONS.at(-1)!.version;
const EXPECTED_TABLES = ['apps', 'audit_events', 'deployments', 'env_vars', 'job_logs', 'job_steps', 'jobs', 'servers'];

async function rejection(p: Promise<unknown>): Promise<InfraktError> {
  const e = await p.then(
    () => new Error('expected an InfraktError, got a value'),
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(InfraktError);
  return e as InfraktError;
}

function thrown(fn: () => unknown): InfraktError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InfraktError);
    return e as InfraktError;
  }
  throw new Error('expected an InfraktError, nothing was thrown');
}

describe('migrations', () => {
  let dir: string;
  let file: string;
  const open: Store[] = [];
  const openHere = () => {
    const s = openStore(file);
    open.push(s);
    return s;
  };
  beforeEach(() => {
    dir = tempDir();
    file = join(dir, 'infrakt.db');
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    removeDir(dir);
  });

  it('versions are strictly increasing', () => {
    const versions = MIGRATIONS.map((m) => m.version);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
  });

  it('a fresh database is migrated to the latest version with every table', () => {
    const s = openHere();
    expect(s.migration.from).toBe(0);
    expect(s.migration.to).toBe(LATEST);
    expect(s.migration.applied).toHaveLength(MIGRATIONS.length);
    expect(s.raw.pragma('user_version', { simple: true })).toBe(LATEST);
    const tables = s.raw.prepare("SELECT name FROM sqlite_master WHERE type='table'").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(EXPECTED_TABLES));
  });

  it('re-running is a no-op: nothing applied, schema and rows unchanged', async () => {
    const first = openHere();
    first.raw
      .prepare(
        "INSERT INTO servers (name, host, port, user, created_at, updated_at) VALUES ('s', 'h', 22, 'root', 't', 't')",
      )
      .run();
    const before = dumpTables(first.raw);
    await first.close();
    open.splice(0);
    const second = openHere();
    expect(second.migration.applied).toEqual([]);
    expect(second.migration.from).toBe(LATEST);
    expect(dumpTables(second.raw)).toEqual(before);
    expect(migrate(second.raw, MIGRATIONS, file).applied).toEqual([]);
  });

  it('applies only what another process has not applied since we looked', () => {
    const s = openHere();
    // A connection that read user_version = 0 just before another process migrated.
    let stale = true;
    const raw = new Proxy(s.raw, {
      get(target, prop) {
        if (prop === 'pragma') {
          return (sql: string, opts?: { simple?: boolean }) => {
            if (stale && sql === 'user_version') {
              stale = false;
              return 0;
            }
            return target.pragma(sql, opts);
          };
        }
        const v = Reflect.get(target, prop, target);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    expect(migrate(raw, MIGRATIONS, file).applied).toEqual([]);
  });

  it('refuses a database from a newer infrakt (STATE_TOO_NEW) and leaves it as it was', () => {
    const raw = new BetterSqlite3(file);
    raw.exec('CREATE TABLE future (x)');
    raw.pragma(`user_version = ${LATEST + 1}`);
    raw.close();
    const e = thrown(() => openStore(file));
    expect(e.code).toBe('STATE_TOO_NEW');
    expect(e.message).toContain(`schema version ${LATEST + 1}`);
    expect(e.message).toContain(file);
    expect(e.hint).toMatch(/upgrade infrakt/);
    const after = new BetterSqlite3(file, { readonly: true });
    try {
      expect(after.pragma('user_version', { simple: true })).toBe(LATEST + 1);
      expect(after.prepare("SELECT name FROM sqlite_master WHERE type='table'").pluck().all()).toEqual(['future']);
    } finally {
      after.close();
    }
  });

  it('a file that is not a database → a clear STATE error, not a raw SQLite exception', () => {
    writeFileSync(file, 'this is not a database, just some text that is long enough to have a header'.repeat(20));
    const e = thrown(() => openStore(file));
    expect(e.code).toBe('STATE');
    expect(e.message).toContain(file);
  });

  it('uses WAL mode, foreign keys and a busy timeout', () => {
    const s = openHere();
    expect(s.raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(s.raw.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(s.raw.pragma('busy_timeout', { simple: true })).toBeGreaterThanOrEqual(1000);
  });

  it('keeps the database and its -wal/-shm files owner-only (0600)', () => {
    const s = openHere();
    s.raw
      .prepare(
        "INSERT INTO servers (name, host, port, user, created_at, updated_at) VALUES ('s', 'h', 22, 'root', 't', 't')",
      )
      .run();
    for (const f of [file, `${file}-wal`, `${file}-shm`]) {
      expect(existsSync(f)).toBe(true);
      expect(fileMode(f).toString(8)).toBe('600');
    }
  });
});

describe('local home', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeDir(dir));

  it('is created 0700 with master.key 0600, known_hosts, keys/; a second run creates nothing', () => {
    const paths = resolvePaths({ INFRAKT_HOME: join(dir, 'home') });
    expect(ensureHome(paths).created).toEqual([paths.home, paths.keys, paths.masterKey, paths.knownHosts]);
    expect(fileMode(paths.home).toString(8)).toBe('700');
    expect(fileMode(paths.keys).toString(8)).toBe('700');
    expect(fileMode(paths.masterKey).toString(8)).toBe('600');
    expect(fileMode(paths.knownHosts).toString(8)).toBe('600');
    expect(ensureHome(paths).created).toEqual([]);
  });

  it('tightens a loosened home or keys directory back to 0700', () => {
    const paths = resolvePaths({ INFRAKT_HOME: join(dir, 'home') });
    ensureHome(paths);
    chmodSync(paths.home, 0o755);
    chmodSync(paths.keys, 0o777);
    expect(ensureHome(paths).created).toEqual([]);
    expect(fileMode(paths.home).toString(8)).toBe('700');
    expect(fileMode(paths.keys).toString(8)).toBe('700');
  });

  it('a home that is a file, or cannot be created → a clear STATE error', () => {
    const file = join(dir, 'plain-file');
    writeFileSync(file, 'x');
    const notDir = thrown(() => ensureHome(resolvePaths({ INFRAKT_HOME: file })));
    expect(notDir.code).toBe('STATE');
    expect(notDir.message).toContain('is not a directory');
    const under = thrown(() => ensureHome(resolvePaths({ INFRAKT_HOME: join(file, 'home') })));
    expect(under.code).toBe('STATE');
    expect(under.message).toContain(join(file, 'home'));
    expect(under.hint).toContain('INFRAKT_HOME');
  });

  it('defaults to ~/.infrakt and honours INFRAKT_HOME', () => {
    expect(resolvePaths({ HOME: '/home/x' }).home).toMatch(/\.infrakt$/);
    expect(resolvePaths({ INFRAKT_HOME: '/srv/ikt' }).db).toBe('/srv/ikt/infrakt.db');
  });
});

describe('constraints', () => {
  let state: TestState;
  let raw: BetterSqlite3.Database;
  beforeEach(async () => {
    state = openTestState();
    raw = state.ctx.store.raw;
    await registerServer(state.ctx, { name: 's1', host: '10.0.0.1' });
    await registerServer(state.ctx, { name: 's2', host: '10.0.0.2' });
  });
  afterEach(async () => {
    await state.close();
    removeDir(join(state.paths.home, '..'));
  });

  const insertServer = (name: string) =>
    raw
      .prepare(
        "INSERT INTO servers (name, host, port, user, created_at, updated_at) VALUES (?, 'h', 22, 'root', 't', 't')",
      )
      .run(name);
  const insertApp = (serverId: number, name: string) =>
    raw
      .prepare(
        "INSERT INTO apps (server_id, name, app_type, port, created_at, updated_at) VALUES (?, ?, 'image', 80, 't', 't')",
      )
      .run(serverId, name);
  const serverId = (name: string) => raw.prepare('SELECT id FROM servers WHERE name=?').pluck().get(name) as number;

  it('server names are unique in the schema', () => {
    expect(() => insertServer('s1')).toThrow(/UNIQUE constraint failed: servers.name/);
  });

  it('server names are unique in the service (CONFLICT, nothing written)', async () => {
    const before = dumpTables(raw);
    const e = await rejection(registerServer(state.ctx, { name: 's1', host: '10.9.9.9' }));
    expect(e.code).toBe('CONFLICT');
    expect(dumpTables(raw)).toEqual(before);
  });

  it('app names are unique per server in the schema, and may repeat across servers', () => {
    insertApp(serverId('s1'), 'web');
    expect(() => insertApp(serverId('s1'), 'web')).toThrow(/UNIQUE constraint failed: apps.server_id, apps.name/);
    expect(() => insertApp(serverId('s2'), 'web')).not.toThrow();
  });

  it('app names are unique per server in the service; --server disambiguates the same name elsewhere', async () => {
    await createApp(state.ctx, { server: 's1', name: 'web', image: 'nginx' });
    await createApp(state.ctx, { server: 's2', name: 'web', image: 'nginx:alpine' });
    const dup = await rejection(createApp(state.ctx, { server: 's1', name: 'web', image: 'nginx:alpine' }));
    expect(dup.code).toBe('CONFLICT');
    const ambiguous = await rejection(resolveApp(state.ctx, 'web'));
    expect(ambiguous.code).toBe('CONFLICT');
    expect(ambiguous.message).toContain('s1, s2');
    expect(ambiguous.hint).toContain('--server');
    expect((await resolveApp(state.ctx, 'web', 's2')).server.name).toBe('s2');
    expect((await resolveApp(state.ctx, 'web', 's1')).app.app_type).toBe('image');
    expect((await listApps(state.ctx, { server: 's2' })).map((a) => `${a.server}/${a.name}`)).toEqual(['s2/web']);
  });

  it('domains are unique per server', async () => {
    await createApp(state.ctx, { server: 's1', name: 'a', domain: 'x.example.com', image: 'nginx:alpine' });
    const e = await rejection(
      createApp(state.ctx, { server: 's1', name: 'b', domain: 'X.example.com', image: 'nginx:alpine' }),
    );
    expect(e.code).toBe('CONFLICT');
    await createApp(state.ctx, { server: 's2', name: 'b', domain: 'x.example.com', image: 'nginx:alpine' });
  });

  it('rejects app types and ports outside the allowed sets', () => {
    const id = serverId('s1');
    expect(() =>
      raw
        .prepare(
          "INSERT INTO apps (server_id, name, app_type, port, created_at, updated_at) VALUES (?, 'x', 'vm', 80, 't', 't')",
        )
        .run(id),
    ).toThrow(/CHECK constraint failed/);
    expect(() =>
      raw
        .prepare(
          "INSERT INTO apps (server_id, name, app_type, port, created_at, updated_at) VALUES (?, 'x', 'git', 0, 't', 't')",
        )
        .run(id),
    ).toThrow(/CHECK constraint failed/);
    for (const t of ['db:postgres', 'db:mysql', 'db:redis', 'db:mongo', 'compose', 'git', 'image']) {
      raw
        .prepare(
          "INSERT INTO apps (server_id, name, app_type, port, created_at, updated_at) VALUES (?, ?, ?, 80, 't', 't')",
        )
        .run(id, t.replace(':', '-'), t);
    }
  });

  it('foreign keys hold: an app needs its server; env vars go with their app', async () => {
    expect(() => insertApp(9999, 'orphan')).toThrow(/FOREIGN KEY constraint failed/);
    await createApp(state.ctx, { server: 's1', name: 'web', image: 'nginx:alpine' });
    await setEnv(state.ctx, 'web', ['A=1']);
    const res = await rejection(removeServer(state.ctx, 's1'));
    expect(res.code).toBe('CONFLICT');
    expect(raw.prepare('SELECT count(*) FROM env_vars').pluck().get()).toBe(1);
    await removeServer(state.ctx, 's1', { force: true });
    expect(raw.prepare('SELECT count(*) FROM env_vars').pluck().get()).toBe(0);
    expect((await listServers(state.ctx)).map((s) => s.name)).toEqual(['s2']);
  });

  it('records audit events for changes', async () => {
    await createApp(state.ctx, { server: 's1', name: 'web', image: 'nginx:alpine' });
    await setEnv(state.ctx, 'web', ['A=audit-canary']);
    const events = raw.prepare('SELECT action, target, details_json FROM audit_events ORDER BY id').all() as {
      action: string;
      target: string;
      details_json: string;
    }[];
    expect(events.map((e) => e.action)).toEqual(['server.add', 'server.add', 'app.create', 'env.set']);
    expect(events.at(-1)?.target).toBe('s1/web');
    expect(JSON.stringify(events)).not.toContain('audit-canary');
  });
});
