import type BetterSqlite3 from 'better-sqlite3';

export interface Migration {
  /** Strictly increasing; gaps are allowed. */
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  /** Work SQL alone can't express, run after `sql` in the same transaction. */
  readonly run?: (db: BetterSqlite3.Database) => void;
}
