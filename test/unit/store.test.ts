import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { ensureHome, resolvePaths } from '../../src/adapters/local/home.js';
import { migrate } from '../../src/adapters/store/migrate.js';
import { migratePostgres } from '../../src/adapters/store/migrate-postgres.js';
import { MIGRATIONS } from '../../src/adapters/store/migrations/index.js';
import { openStore, type Store } from '../../src/adapters/store/open.js';
import { advisoryKey, openPostgresStore } from '../../src/adapters/store/postgres.js';
import type { Database } from '../../src/adapters/store/schema.js';
import type { Db } from '../../src/adapters/store/store.js';
import { InfraktError } from '../../src/core/errors.js';
import { createApp, listApps, resolveApp } from '../../src/services/apps/apps.js';
import { setEnv } from '../../src/services/apps/env.js';
import { listServers, registerServer, removeServer } from '../../src/services/servers/servers.js';
import { freshDatabase } from '../harness/postgres.js';
import { testDialect } from '../harness/temp-store.js';
import {
  dumpRows,
  dumpTables,
  fileMode,
  openTestStateOnDialect,
  removeDir,
  type TestState,
  tempDir,
} from '../helpers/state.js';

// This suite runs twice: on SQLite (unit project) and on a real PostgreSQL server (postgres project). What only one
// dialect has (a file, PRAGMAs; an advisory-locked schema table) is in a describe block of that dialect.

const LATEST = MIGRATIONS.at(-1)!.version;
const EXPECTED_TABLES = [
  'apps',
  'audit_events',
  'deployments',
  'env_vars',
  'job_logs',
  'job_steps',
  'jobs',
  'servers',
  'users',
  'sessions',
  'api_tokens',
  'policies',
  'approvals',
];

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

if (testDialect === 'sqlite')
  describe('migrations (SQLite)', () => {
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

if (testDialect === 'postgres')
  describe('migrations (PostgreSQL)', () => {
    const dbs: Awaited<ReturnType<typeof freshDatabase>>[] = [];
    const stores: Store[] = [];
    const fresh = async () => {
      const db = await freshDatabase(inject('postgresUrl'));
      dbs.push(db);
      return db;
    };
    const open = async (url: string) => {
      const s = await openPostgresStore(url);
      stores.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of stores.splice(0)) await s.close();
      for (const d of dbs.splice(0)) await d.drop();
    });

    it('a fresh database is migrated to the latest version with every table; re-opening applies nothing', async () => {
      const db = await fresh();
      const s = await open(db.url);
      expect(s.migration).toMatchObject({ from: 0, to: LATEST });
      expect(s.migration.applied).toHaveLength(MIGRATIONS.length);
      const tables = (await s.db.introspection.getTables()).map((t) => t.name);
      expect(tables).toEqual(expect.arrayContaining(EXPECTED_TABLES));
      await s.db
        .insertInto('servers')
        .values({
          name: 's',
          host: 'h',
          port: 22,
          user: 'root',
          root_dir: '/opt/infrakt',
          status: 'unknown',
          settings_json: '{}',
          created_at: 't',
          updated_at: 't',
        })
        .execute();
      const before = await dumpRows(s.db);
      const again = await open(db.url);
      expect(again.migration).toEqual({ from: LATEST, to: LATEST, applied: [] });
      expect(await dumpRows(again.db)).toEqual(before);
      expect(s.file).not.toContain(new URL(db.url).password);
    });

    it('two processes starting together migrate once (advisory lock)', async () => {
      const db = await fresh();
      const [a, b] = await Promise.all([open(db.url), open(db.url)]);
      expect([...a.migration.applied, ...b.migration.applied]).toHaveLength(MIGRATIONS.length);
    });

    it('refuses a database from a newer infrakt (STATE_TOO_NEW) and names it without its password', async () => {
      const db = await fresh();
      const s = await open(db.url);
      await sql`UPDATE infrakt_schema SET version = ${LATEST + 1}`.execute(s.db);
      const e = await rejection(openPostgresStore(db.url));
      expect(e.code).toBe('STATE_TOO_NEW');
      expect(e.message).toContain(`schema version ${LATEST + 1}`);
      expect(e.message).not.toContain(new URL(db.url).password);
    });

    it('an unreachable server is a clear STATE error without the password', async () => {
      const e = await rejection(openPostgresStore('postgres://infrakt:s3cret-pw@127.0.0.1:1/x'));
      expect(e.code).toBe('STATE');
      expect(e.message).toContain('cannot reach the state database postgres://infrakt:***@127.0.0.1:1/x');
      expect(e.message).not.toContain('s3cret-pw');
    });
  });

if (testDialect === 'sqlite')
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
  let db: Db;
  beforeEach(async () => {
    state = await openTestStateOnDialect();
    db = state.ctx.store.db;
    await registerServer(state.ctx, { name: 's1', host: '10.0.0.1' });
    await registerServer(state.ctx, { name: 's2', host: '10.0.0.2' });
  });
  afterEach(async () => {
    await state.close();
    removeDir(join(state.paths.home, '..'));
  });

  const insertServer = (name: string) =>
    db
      .insertInto('servers')
      .values({
        name,
        host: 'h',
        port: 22,
        user: 'root',
        root_dir: '/opt/infrakt',
        status: 'unknown',
        settings_json: '{}',
        created_at: 't',
        updated_at: 't',
      })
      .execute();
  const insertApp = (serverId: number, name: string, appType = 'image', port = 80) =>
    db
      .insertInto('apps')
      .values({
        server_id: serverId,
        name,
        app_type: appType,
        port,
        status: 'created',
        settings_json: '{}',
        current_release: null,
        domain: null,
        git_repo: null,
        branch: null,
        image: null,
        created_at: 't',
        updated_at: 't',
      })
      .execute();
  const serverId = async (name: string) =>
    (await db.selectFrom('servers').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
  const count = async (table: 'env_vars') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  // SQLite and Postgres word their constraint errors differently.
  const UNIQUE = /UNIQUE constraint failed|duplicate key value violates unique constraint/;
  const CHECK = /CHECK constraint failed|violates check constraint/;
  const FOREIGN = /FOREIGN KEY constraint failed|violates foreign key constraint/;

  it('server names are unique in the schema', async () => {
    await expect(insertServer('s1')).rejects.toThrow(UNIQUE);
  });

  it('server names are unique in the service (CONFLICT, nothing written)', async () => {
    const before = await dumpRows(db);
    const e = await rejection(registerServer(state.ctx, { name: 's1', host: '10.9.9.9' }));
    expect(e.code).toBe('CONFLICT');
    expect(await dumpRows(db)).toEqual(before);
  });

  it('app names are unique per server in the schema, and may repeat across servers', async () => {
    await insertApp(await serverId('s1'), 'web');
    await expect(insertApp(await serverId('s1'), 'web')).rejects.toThrow(UNIQUE);
    await insertApp(await serverId('s2'), 'web');
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

  it('rejects app types and ports outside the allowed sets', async () => {
    const id = await serverId('s1');
    await expect(insertApp(id, 'x', 'vm')).rejects.toThrow(CHECK);
    await expect(insertApp(id, 'x', 'git', 0)).rejects.toThrow(CHECK);
    for (const t of ['db:postgres', 'db:mysql', 'db:redis', 'db:mongo', 'compose', 'git', 'image']) {
      await insertApp(id, t.replace(':', '-'), t);
    }
  });

  it('foreign keys hold: an app needs its server; env vars go with their app', async () => {
    await expect(insertApp(9999, 'orphan')).rejects.toThrow(FOREIGN);
    await createApp(state.ctx, { server: 's1', name: 'web', image: 'nginx:alpine' });
    await setEnv(state.ctx, 'web', ['A=1']);
    const res = await rejection(removeServer(state.ctx, 's1'));
    expect(res.code).toBe('CONFLICT');
    expect(await count('env_vars')).toBe(1);
    await removeServer(state.ctx, 's1', { force: true });
    expect(await count('env_vars')).toBe(0);
    expect((await listServers(state.ctx)).map((s) => s.name)).toEqual(['s2']);
  });

  it('job statuses are checked by the schema, approval statuses included', async () => {
    const job = (id: string, status: string) =>
      db
        .insertInto('jobs')
        .values({
          id,
          kind: 'k',
          status,
          target: 't',
          actor: 'a',
          params_json: '{}',
          cancel_requested: 0,
          created_at: 't',
        })
        .execute();
    for (const st of ['approval_pending', 'queued', 'running', 'succeeded', 'failed', 'cancelled', 'rejected'])
      await job(`j_${st}`, st);
    await expect(job('j_bad', 'paused')).rejects.toThrow(CHECK);
  });
});

describe('upgrading a database that has jobs to the teams migration', () => {
  const at = MIGRATIONS.findIndex((m) => m.name === 'teams');
  const before = MIGRATIONS.slice(0, at);
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** A database migrated up to (not including) `teams`, then the store opened on it (which migrates the rest). */
  async function upgraded(seed: (db: Db) => Promise<void>): Promise<Store> {
    if (testDialect === 'postgres') {
      const fresh = await freshDatabase(inject('postgresUrl'));
      cleanups.push(fresh.drop);
      const { Kysely, PostgresDialect } = await import('kysely');
      const pg = (await import('pg')).default;
      const old = new Kysely<Database>({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: fresh.url }) }),
      });
      await migratePostgres(old, before, 'old', advisoryKey('migrate'));
      await seed(old);
      await old.destroy();
      const s = await openPostgresStore(fresh.url);
      cleanups.push(() => s.close());
      return s;
    }
    const dir = tempDir();
    cleanups.push(async () => removeDir(dir));
    const file = join(dir, 'infrakt.db');
    const raw = new BetterSqlite3(file);
    raw.pragma('foreign_keys = ON');
    migrate(raw, before, file);
    const { Kysely, SqliteDialect } = await import('kysely');
    const old = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
    await seed(old);
    await old.destroy();
    const s = openStore(file);
    cleanups.push(() => s.close());
    return s;
  }

  it('keeps every job with its steps and logs, and accepts the new statuses', async () => {
    const s = await upgraded(async (db) => {
      await sql`INSERT INTO jobs (id, kind, status, target, actor, created_at) VALUES ('j_old', 'app.deploy', 'succeeded', 's/a', 'me', 't')`.execute(
        db,
      );
      await sql`INSERT INTO job_steps (job_id, idx, name, status) VALUES ('j_old', 0, 'pull', 'succeeded')`.execute(db);
      await sql`INSERT INTO job_logs (job_id, step_idx, stream, line, ts) VALUES ('j_old', 0, 'info', 'hello', 't')`.execute(
        db,
      );
      await sql`INSERT INTO audit_events (ts, actor, action, target, details_json) VALUES ('t', 'me', 'app.create', 's/a', '{}')`.execute(
        db,
      );
    });
    expect(s.migration.applied.map((a) => a.split('-').slice(1).join('-'))).toContain('teams');
    const steps = await s.db.selectFrom('job_steps').selectAll().execute();
    expect(steps.map((r) => [r.job_id, r.name])).toEqual([['j_old', 'pull']]);
    expect((await s.db.selectFrom('job_logs').select('line').execute()).map((r) => r.line)).toEqual(['hello']);
    const audit = await s.db.selectFrom('audit_events').selectAll().execute();
    expect(audit.map((a) => [a.seq, a.action, a.hash])).toEqual([[1, 'app.create', null]]);
    await sql`UPDATE jobs SET status = 'approval_pending' WHERE id = 'j_old'`.execute(s.db);
    // The foreign key from job_steps still points at the rebuilt jobs table: deleting a job takes its steps along.
    await s.db.deleteFrom('jobs').where('id', '=', 'j_old').execute();
    expect(await s.db.selectFrom('job_steps').selectAll().execute()).toEqual([]);
  });

  it('deployed apps start in state provisioned, others in provision', async () => {
    const s = await upgraded(async (db) => {
      await sql`INSERT INTO servers (name, host, port, "user", created_at, updated_at) VALUES ('s', 'h', 22, 'root', 't', 't')`.execute(
        db,
      );
      await sql`INSERT INTO apps (server_id, name, app_type, port, status, current_release, created_at, updated_at)
        VALUES (1, 'live', 'image', 80, 'running', 3, 't', 't'), (1, 'new', 'image', 80, 'created', NULL, 't', 't')`.execute(
        db,
      );
    });
    const apps = await s.db.selectFrom('apps').select(['name', 'state']).orderBy('name').execute();
    expect(apps).toEqual([
      { name: 'live', state: 'provisioned' },
      { name: 'new', state: 'provision' },
    ]);
  });
});

describe('SQLite transactions beside another process', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeDir(dir));

  it('a transaction that reads, then writes, holds while another connection writes (BEGIN IMMEDIATE)', async () => {
    const file = join(dir, 'state.db');
    const a = openStore(file);
    const b = openStore(file);
    try {
      a.raw.exec('CREATE TABLE t (x INTEGER)');
      // The other process waits for the write lock; here it is on the same thread, so it gives up quickly.
      b.raw.pragma('busy_timeout = 50');
      let otherWriter: unknown = null;
      await a.db.transaction().execute(async (trx) => {
        await sql`SELECT count(*) FROM t`.execute(trx);
        try {
          b.raw.prepare('INSERT INTO t VALUES (1)').run();
        } catch (e) {
          otherWriter = e;
        }
        // A deferred transaction fails here with "database is locked" once the other write went through.
        await sql`INSERT INTO t VALUES (2)`.execute(trx);
      });
      expect((otherWriter as { code?: string } | null)?.code).toBe('SQLITE_BUSY');
      expect(a.raw.prepare('SELECT x FROM t').all()).toEqual([{ x: 2 }]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
