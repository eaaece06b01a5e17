import type BetterSqlite3 from 'better-sqlite3';

export interface Migration {
  /** Strictly increasing; gaps are allowed. */
  readonly version: number;
  readonly name: string;
  /** The SQLite text; the Postgres text is derived from it (see postgresSql) unless `postgres` is given. */
  readonly sql: string;
  /** Postgres text where the dialects differ beyond what postgresSql() translates (e.g. changing a CHECK). */
  readonly postgres?: string;
  /**
   * SQLite: the migration rebuilds a table (SQLite cannot alter a CHECK): it runs with foreign keys off, as SQLite's
   * documented procedure asks (a DROP would otherwise cascade), and foreign_key_check must pass before it commits.
   */
  readonly rebuildsTables?: boolean;
  /** SQLite: work SQL alone can't express, run after `sql` in the same transaction (Postgres: give `postgres`). */
  readonly run?: (db: BetterSqlite3.Database) => void;
}
