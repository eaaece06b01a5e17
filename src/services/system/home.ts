import { existsSync } from 'node:fs';
import { ensureHome, type Paths } from '../../adapters/local/home.js';
import { ensureMasterKey } from '../../adapters/secrets/master-key.js';
import { openStore, type Store } from '../../adapters/store/open.js';
import { InfraktError } from '../../core/errors.js';

/*
 * The local state directory ($INFRAKT_HOME) itself: these use-cases run before a Ctx can exist (they create what
 * a Ctx is built from), so they take the resolved paths.
 */

/** What the local state holds that only the master key can read. */
export interface HomeSummary {
  /** Encrypted env values stored (they make a lost master key fatal). */
  readonly envValues: number;
}

export async function homeSummary(store: Store): Promise<HomeSummary> {
  const row = await store.db
    .selectFrom('env_vars')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return { envValues: Number(row.n) };
}

export interface InitResult {
  readonly home: string;
  /** Created now, in order: the directory, the database, then keys and known_hosts. */
  readonly created: readonly string[];
  /** Migrations applied now (to a database that existed: an upgrade). */
  readonly migrations: readonly string[];
  readonly dbExisted: boolean;
  readonly changed: boolean;
  readonly masterKey: string;
}

/**
 * `infrakt init`: creates whatever part of the local state is missing (safe to re-run). A missing master key is
 * replaced only when nothing was encrypted under it; otherwise it is lost, and a new one would hide that.
 */
export async function initHome(paths: Paths): Promise<InitResult> {
  const dbExisted = existsSync(paths.db);
  const created = [...ensureHome(paths).created];
  const store = openStore(paths.db);
  const migrations = store.migration.applied;
  try {
    if (!existsSync(paths.masterKey)) {
      const { envValues } = await homeSummary(store);
      if (envValues > 0) {
        throw new InfraktError('SECRET', `the master key ${paths.masterKey} is missing`, {
          hint: `${envValues} stored env value(s) need it: restore master.key from your backup`,
        });
      }
      if (ensureMasterKey(paths.masterKey)) created.push(paths.masterKey);
    }
  } finally {
    await store.close();
  }
  if (!dbExisted) created.splice(1, 0, paths.db);
  return {
    home: paths.home,
    created,
    migrations,
    dbExisted,
    changed: created.length > 0 || migrations.length > 0,
    masterKey: paths.masterKey,
  };
}
