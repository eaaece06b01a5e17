import type BetterSqlite3 from 'better-sqlite3';
import type { Kysely } from 'kysely';
import type { Dialect } from './dialect.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

export interface MigrationReport {
  readonly from: number;
  readonly to: number;
  readonly applied: readonly string[];
}

/**
 * The control plane's state: SQLite in $INFRAKT_HOME by default, or a Postgres database shared by a team
 * (INFRAKT_DATABASE_URL). Every query goes through `db` (Kysely), in SQL both dialects run.
 */
export interface Store {
  readonly dialect: Dialect;
  readonly db: Db;
  /** SQLite only: the synchronous handle (exit-time bookkeeping, PRAGMA data_version). Null on Postgres. */
  readonly raw: BetterSqlite3.Database | null;
  /** Where the state lives, for messages: the SQLite file, or the Postgres URL without its password. */
  readonly file: string;
  readonly migration: MigrationReport;
  /**
   * Runs `fn` in a write transaction that no other writer of the same `key` (in any process) overlaps:
   * SQLite's `BEGIN IMMEDIATE` (one writer per file), Postgres's transaction-scoped advisory lock on the key.
   * Queries inside must go through the `db` passed to `fn`.
   */
  exclusive<T>(key: string, fn: (db: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
