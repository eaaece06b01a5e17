import type BetterSqlite3 from 'better-sqlite3';
import { InfraktError } from '../../core/errors.js';
import type { Migration } from './migrations/types.js';
import type { MigrationReport } from './store.js';

export type { MigrationReport } from './store.js';

/**
 * Applies pending migrations, each in its own transaction together with the
 * `user_version` bump, so a crash never leaves a half-applied version.
 * A database written by a newer infrakt is refused rather than guessed at.
 */
export function migrate(db: BetterSqlite3.Database, migrations: readonly Migration[], file: string): MigrationReport {
  const latest = migrations.at(-1)?.version ?? 0;
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > latest) {
    throw new InfraktError(
      'STATE_TOO_NEW',
      `the state database ${file} is at schema version ${current}, newer than this infrakt understands (${latest})`,
      { hint: 'upgrade infrakt, or point INFRAKT_HOME at another directory' },
    );
  }
  const applied: string[] = [];
  for (const m of migrations) {
    if (m.version <= current) continue;
    // PRAGMA foreign_keys is a no-op inside a transaction: switch it around the rebuild.
    if (m.rebuildsTables) db.pragma('foreign_keys = OFF');
    try {
      // Re-read under the write lock: another process may have migrated since we looked.
      const ran = db
        .transaction(() => {
          if ((db.pragma('user_version', { simple: true }) as number) >= m.version) return false;
          db.exec(m.sql);
          m.run?.(db);
          if (m.rebuildsTables && (db.pragma('foreign_key_check') as unknown[]).length > 0) {
            throw new Error(`migration ${m.version}-${m.name} left rows pointing at missing rows`);
          }
          db.pragma(`user_version = ${m.version}`);
          return true;
        })
        .immediate();
      if (ran) applied.push(`${m.version}-${m.name}`);
    } finally {
      if (m.rebuildsTables) db.pragma('foreign_keys = ON');
    }
  }
  return { from: current, to: Math.max(current, latest), applied };
}
