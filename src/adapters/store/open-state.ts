import { InfraktError } from '../../core/errors.js';
import { redactUrl } from './dialect.js';
import { openStore } from './open.js';
import type { Store } from './store.js';

export const isPostgresUrl = (s: string): boolean => /^postgres(ql)?:\/\//i.test(s);

/**
 * The control plane's store: Postgres when INFRAKT_DATABASE_URL is set (a team sharing one database), else the
 * SQLite file in $INFRAKT_HOME. Postgres' driver is loaded only then.
 */
export async function openStateStore(where: { db: string; databaseUrl?: string | null }): Promise<Store> {
  const url = where.databaseUrl?.trim();
  if (!url) return openStore(where.db);
  if (!isPostgresUrl(url)) {
    throw new InfraktError('VALIDATION', `INFRAKT_DATABASE_URL must be a postgres:// URL (got ${redactUrl(url)})`, {
      hint: 'e.g. postgres://infrakt:PASSWORD@127.0.0.1:5432/infrakt, or unset it to use the SQLite file',
    });
  }
  const { openPostgresStore } = await import('./postgres.js');
  return openPostgresStore(url);
}

/** A SQLite file path or a postgres:// URL (tests and child processes pass either). */
export function openStoreAt(target: string): Promise<Store> {
  return isPostgresUrl(target) ? openStateStore({ db: '', databaseUrl: target }) : Promise.resolve(openStore(target));
}
