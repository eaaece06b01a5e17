import { createHash } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import { InfraktError } from '../../core/errors.js';
import { redactUrl } from './dialect.js';
import { migratePostgres } from './migrate-postgres.js';
import { MIGRATIONS } from './migrations/index.js';
import type { Database } from './schema.js';
import type { Db, Store } from './store.js';

/** Postgres type oids whose text the pg driver would hand us as strings: counts (int8) and numerics. */
const INT8 = 20;
const NUMERIC = 1700;

/** A 64-bit advisory lock key per name (Postgres advisory locks take bigint keys). */
export function advisoryKey(name: string): string {
  return createHash('sha256').update(`infrakt:${name}`).digest().readBigInt64BE(0).toString();
}

/**
 * The Postgres store (INFRAKT_DATABASE_URL=postgres://…): the same migrations and queries as SQLite through Kysely's
 * Postgres dialect. `pg` is loaded only here, so a SQLite user never pays for it.
 */
export async function openPostgresStore(url: string, opts: { poolSize?: number } = {}): Promise<Store> {
  const shown = redactUrl(url);
  const pg = (await import('pg')).default;
  const builtin = pg.types.getTypeParser.bind(pg.types);
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: 10_000,
    types: {
      // Counts and sums as numbers, as SQLite gives them (ids and counts stay far below 2^53).
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8 || oid === NUMERIC ? (v: string) => Number(v) : builtin(oid, format as 'text')) as never,
    },
  });
  // An idle client losing its connection (server restart) must not crash the process.
  pool.on('error', () => undefined);
  const db: Db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`SELECT 1`.execute(db);
  } catch (e) {
    await db.destroy().catch(() => undefined);
    throw new InfraktError('STATE', `cannot reach the state database ${shown}: ${(e as Error).message}`, {
      hint: 'check INFRAKT_DATABASE_URL (host, port, user, password, database) and that PostgreSQL is running',
      cause: e,
    });
  }
  let migration: Store['migration'];
  try {
    migration = await migratePostgres(db, MIGRATIONS, shown, advisoryKey('migrate'));
  } catch (e) {
    await db.destroy().catch(() => undefined);
    if (e instanceof InfraktError) throw e;
    throw new InfraktError('STATE', `cannot use state database ${shown}: ${(e as Error).message}`, {
      hint: 'the database may belong to something else; point INFRAKT_DATABASE_URL at an empty database',
      cause: e,
    });
  }
  return {
    dialect: 'postgres',
    db,
    raw: null,
    file: shown,
    migration,
    exclusive: (key, fn) =>
      db.transaction().execute(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(${advisoryKey(key)}::bigint)`.execute(trx);
        return fn(trx);
      }),
    close: async () => {
      await db.destroy();
    },
  };
}
