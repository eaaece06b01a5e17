import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureMasterKey } from '../secrets/master-key.js';

export interface Paths {
  readonly home: string;
  readonly db: string;
  readonly masterKey: string;
  readonly apiKey: string;
  readonly knownHosts: string;
  readonly keys: string;
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
  };
}

export interface InitReport {
  readonly created: readonly string[];
}

/** Creates whatever part of the local state is missing. Never overwrites anything. */
export function ensureHome(paths: Paths): InitReport {
  const created: string[] = [];
  if (!existsSync(paths.home)) {
    mkdirSync(paths.home, { recursive: true, mode: 0o700 });
    created.push(paths.home);
  }
  if ((statSync(paths.home).mode & 0o077) !== 0) chmodSync(paths.home, 0o700);
  if (!existsSync(paths.keys)) {
    mkdirSync(paths.keys, { mode: 0o700 });
    created.push(paths.keys);
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
