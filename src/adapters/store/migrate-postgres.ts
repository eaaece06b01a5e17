import { sql } from 'kysely';
import { InfraktError } from '../../core/errors.js';
import { postgresSql } from './dialect.js';
import type { Migration } from './migrations/types.js';
import type { Db, MigrationReport } from './store.js';

/**
 * Postgres has no `user_version`: the schema version is the one row of `infrakt_schema`. Each migration runs in its
 * own transaction with the version bump, under an advisory lock, so two `infrakt serve` starting together migrate
 * once. A database written by a newer infrakt is refused, as with SQLite.
 */
export async function migratePostgres(
  db: Db,
  migrations: readonly Migration[],
  shown: string,
  lockKey: string,
): Promise<MigrationReport> {
  const latest = migrations.at(-1)?.version ?? 0;
  // Under the lock too: two concurrent CREATE TABLE IF NOT EXISTS can both try to create it.
  await db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${lockKey}::bigint)`.execute(trx);
    await sql`CREATE TABLE IF NOT EXISTS infrakt_schema (one INTEGER PRIMARY KEY CHECK (one = 1), version INTEGER NOT NULL)`.execute(
      trx,
    );
  });
  const version = async (q: Db) =>
    (await sql<{ version: number }>`SELECT version FROM infrakt_schema WHERE one = 1`.execute(q)).rows[0]?.version ?? 0;
  const current = await version(db);
  if (current > latest) {
    throw new InfraktError(
      'STATE_TOO_NEW',
      `the state database ${shown} is at schema version ${current}, newer than this infrakt understands (${latest})`,
      { hint: 'upgrade infrakt, or point INFRAKT_DATABASE_URL at another database' },
    );
  }
  const applied: string[] = [];
  for (const m of migrations) {
    if (m.version <= current) continue;
    const ran = await db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${lockKey}::bigint)`.execute(trx);
      // Re-read under the lock: another process may have migrated since we looked.
      if ((await version(trx)) >= m.version) return false;
      await sql.raw(postgresSql(m)).execute(trx);
      await sql`INSERT INTO infrakt_schema (one, version) VALUES (1, ${m.version})
        ON CONFLICT (one) DO UPDATE SET version = EXCLUDED.version`.execute(trx);
      return true;
    });
    if (ran) applied.push(`${m.version}-${m.name}`);
  }
  return { from: current, to: Math.max(current, latest), applied };
}
