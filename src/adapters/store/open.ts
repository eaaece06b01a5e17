import { chmodSync, closeSync, existsSync, openSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  sql,
} from 'kysely';
import { InfraktError } from '../../core/errors.js';
import { migrate } from './migrate.js';
import { MIGRATIONS } from './migrations/index.js';
import type { Database } from './schema.js';
import type { MigrationReport, Store } from './store.js';

export type { Db, MigrationReport, Store } from './store.js';

/** The SQLite store: `raw` is always there. */
export interface SqliteStore extends Store {
  readonly dialect: 'sqlite';
  readonly raw: BetterSqlite3.Database;
}

/** One connection per process: WAL for concurrent readers, a busy timeout for writers from other processes. */
export function openStore(file: string): SqliteStore {
  let raw: BetterSqlite3.Database;
  try {
    // Create it owner-only before SQLite does (with the umask's mode); -wal/-shm inherit its mode.
    closeSync(openSync(file, 'a', 0o600));
    const nativeBinding = addonPath();
    raw = new BetterSqlite3(file, nativeBinding ? { nativeBinding } : {});
  } catch (e) {
    throw new InfraktError('INTERNAL', `cannot open state database ${file}: ${(e as Error).message}`, {
      hint: 'check that INFRAKT_HOME is writable',
      cause: e,
    });
  }
  let migration: MigrationReport;
  try {
    // busy_timeout first: switching to WAL and migrating take locks another process may hold.
    raw.pragma('busy_timeout = 5000');
    raw.pragma('journal_mode = WAL');
    restrictMode(file);
    raw.pragma('foreign_keys = ON');
    raw.pragma('synchronous = NORMAL');
    migration = migrate(raw, MIGRATIONS, file);
  } catch (e) {
    raw.close();
    if (e instanceof InfraktError) throw e;
    throw new InfraktError('STATE', `cannot use state database ${file}: ${(e as Error).message}`, {
      hint: 'the file may be corrupt or not an infrakt database; restore it from a backup',
      cause: e,
    });
  }
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: raw }) });
  return {
    dialect: 'sqlite',
    db,
    raw,
    file,
    migration,
    // One connection per process (Kysely holds it for the callback); BEGIN IMMEDIATE takes the file's write lock
    // at once, so a read-then-write inside can't lose a race with another process.
    exclusive: (_key, fn) =>
      db.connection().execute(async (conn) => {
        await sql`BEGIN IMMEDIATE`.execute(conn);
        try {
          const result = await fn(conn);
          await sql`COMMIT`.execute(conn);
          return result;
        } catch (e) {
          if (raw.inTransaction) await sql`ROLLBACK`.execute(conn);
          throw e;
        }
      }),
    close: async () => {
      await db.destroy();
    },
  };
}

/**
 * Kysely begins SQLite transactions DEFERRED: one that reads and then writes while another process (`infrakt
 * serve` beside a CLI) writes fails at once with "database is locked", because SQLite cannot wait out a lock
 * upgrade. BEGIN IMMEDIATE takes the write lock at the start, where busy_timeout waits for it.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  constructor(config: SqliteDialectConfig) {
    super(config);
    this.#config = config;
  }
  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config);
  }
}

/**
 * better-sqlite3 finds its addon through `bindings`, which probes a dozen paths on every start (~6 ms of
 * CLI start-up); hand it the file where npm builds it. Anywhere else `bindings` probes, but from
 * better-sqlite3's own folder: the CLI bundle carries better-sqlite3's JavaScript (scripts/build.mjs), and
 * `bindings` would otherwise search from the file that calls it, dist/cli.js.
 */
function addonPath(): string | undefined {
  try {
    const root = packageDir('better-sqlite3');
    const addon = join(root, 'build', 'Release', 'better_sqlite3.node');
    if (existsSync(addon)) return addon;
    const bindings = createRequire(join(root, 'package.json'))('bindings');
    return bindings({ bindings: 'better_sqlite3.node', module_root: root, path: true }) as string;
  } catch {
    return undefined;
  }
}

/**
 * A package's folder, looked up as node does (the nearest node_modules above this file first) with a stat per
 * folder: require.resolve also reads and realpaths package.json files, ~3 ms of every CLI start.
 */
function packageDir(name: string): string {
  for (let d = dirname(fileURLToPath(import.meta.url)); ; d = dirname(d)) {
    const dir = join(d, 'node_modules', name);
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(d) === d) break;
  }
  return join(dirname(createRequire(import.meta.url).resolve(name)), '..');
}

// The database holds hosts, users and encrypted env values: owner-only, like master.key.
function restrictMode(file: string): void {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      if ((statSync(f).mode & 0o077) !== 0) chmodSync(f, 0o600);
    } catch {
      // -wal/-shm may not exist yet
    }
  }
}
