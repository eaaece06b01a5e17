import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { InfraktError } from '../../core/errors.js';
import { ensureMasterKey } from '../secrets/master-key.js';

export interface Paths {
  readonly home: string;
  readonly db: string;
  readonly masterKey: string;
  readonly apiKey: string;
  readonly knownHosts: string;
  readonly keys: string;
  /** INFRAKT_DATABASE_URL: a shared Postgres database for the control plane instead of `db` (SQLite). */
  readonly databaseUrl: string | null;
}

export function resolvePaths(env: NodeJS.ProcessEnv = process.env): Paths {
  const home = resolve(env.INFRAKT_HOME?.trim() || join(homedir(), '.infrakt'));
  return {
    home,
    db: join(home, 'infrakt.db'),
    masterKey: join(home, 'master.key'),
    apiKey: join(home, 'api_key'),
    knownHosts: join(home, 'known_hosts'),
    keys: join(home, 'keys'),
    databaseUrl: env.INFRAKT_DATABASE_URL?.trim() || null,
  };
}

export interface InitReport {
  readonly created: readonly string[];
}

/** Creates whatever part of the local state is missing. Never overwrites anything. */
export function ensureHome(paths: Paths): InitReport {
  try {
    return createMissing(paths);
  } catch (e) {
    if (e instanceof InfraktError) throw e;
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new InfraktError('STATE', `cannot set up infrakt state in ${paths.home} (${code})`, {
      hint: 'point INFRAKT_HOME at a directory you can write to',
      cause: e,
    });
  }
}

function createMissing(paths: Paths): InitReport {
  const created: string[] = [];
  if (!existsSync(paths.home)) {
    mkdirSync(paths.home, { recursive: true, mode: 0o700 });
    created.push(paths.home);
  }
  if (!statSync(paths.home).isDirectory()) {
    throw new InfraktError('STATE', `INFRAKT_HOME ${paths.home} is not a directory`, {
      hint: 'point INFRAKT_HOME at a directory (it is created if missing)',
    });
  }
  // Owner-only: the directory holds the master key, SSH keys and the database.
  for (const dir of [paths.home, paths.keys]) {
    if (!existsSync(dir)) {
      mkdirSync(dir, { mode: 0o700 });
      created.push(dir);
    } else if ((statSync(dir).mode & 0o077) !== 0) {
      chmodSync(dir, 0o700);
    }
  }
  // A new key only for new state: with a database already here a missing key is lost, and a silent
  // replacement would make every stored value undecryptable and mix keys. Loading it reports the loss.
  if (!existsSync(paths.db) && ensureMasterKey(paths.masterKey)) {
    created.push(paths.masterKey);
  }
  if (!existsSync(paths.knownHosts)) {
    closeSync(openSync(paths.knownHosts, 'a', 0o600));
    created.push(paths.knownHosts);
  }
  return { created };
}
