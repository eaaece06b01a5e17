import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import BetterSqlite3 from 'better-sqlite3';
import { dumpTables } from '../helpers/state.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'infrakt.js');

/** Builds the CLI bundle exactly as `npm run build` does (CLI part only). */
export function buildCli(): void {
  execFileSync(process.execPath, ['scripts/build.mjs', 'cli'], { cwd: ROOT, stdio: 'pipe' });
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built binary as a user would, without a TTY, in the given INFRAKT_HOME. */
export function infrakt(home: string, args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): RunResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, INFRAKT_HOME: home, NO_COLOR: '1', ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function infraktAsync(home: string, args: readonly string[]): Promise<RunResult> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { ...process.env, INFRAKT_HOME: home, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', rej);
    child.on('close', (code) => res({ code: code ?? -1, stdout, stderr }));
  });
}

/** A loopback port nobody listens on (bound, read, closed): connections to it fail fast. */
export function closedPort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? res(addr.port) : rej(new Error('no port'))));
    });
  });
}

/** Every row of every table of the state database (read-only open). */
export function dumpDb(home: string): Record<string, unknown[]> {
  const db = new BetterSqlite3(join(home, 'infrakt.db'), { readonly: true });
  try {
    return dumpTables(db);
  } finally {
    db.close();
  }
}

/** Opens the state database for writing (to tamper with it in tests). */
export function withDb<T>(home: string, fn: (db: BetterSqlite3.Database) => T): T {
  const db = new BetterSqlite3(join(home, 'infrakt.db'));
  try {
    return fn(db);
  } finally {
    db.close();
  }
}
