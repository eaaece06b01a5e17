import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { inject } from 'vitest';
import { ensureHome, type Paths, resolvePaths } from '../../src/adapters/local/home.js';
import { envCipher } from '../../src/adapters/secrets/env-cipher.js';
import { loadMasterKey } from '../../src/adapters/secrets/master-key.js';
import { openStore } from '../../src/adapters/store/open.js';
import { openPostgresStore } from '../../src/adapters/store/postgres.js';
import type { Db, Store } from '../../src/adapters/store/store.js';
import { InfraktError } from '../../src/core/errors.js';
import type { Jobs } from '../../src/core/jobs.js';
import type { Ctx } from '../../src/services/shared/context.js';
import { freshDatabase } from '../harness/postgres.js';
import { testDialect } from '../harness/temp-store.js';

/** A fresh, unique temp directory (`ikt-test-<random>`); remove it with `rmSync(dir, { recursive: true })`. */
export function tempDir(prefix = 'ikt-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

// Foundation use-cases never start jobs or connect; fail loudly if one ever does.
const unavailable = (what: string) => () => {
  throw new InfraktError('UNSUPPORTED', `${what} is not available in this test context`);
};
const noJobs = new Proxy({}, { get: (_t, prop) => unavailable(`jobs.${String(prop)}`) }) as Jobs;

export interface TestState {
  readonly ctx: Ctx;
  readonly paths: Paths;
  close(): Promise<void>;
}

/** Real local state (home dir, SQLite file, master key) in a temp dir, as the CLI builds it. */
export function openTestState(home = join(tempDir(), 'home'), given?: Store): TestState {
  const paths = resolvePaths({ INFRAKT_HOME: home });
  ensureHome(paths);
  const store = given ?? openStore(paths.db);
  const ctx: Ctx = {
    store,
    cipher: envCipher(loadMasterKey(paths.masterKey)),
    paths,
    clock: { now: () => new Date('2026-01-02T03:04:05.000Z') },
    actor: 'test@host (unit)',
    connect: async () => unavailable('connect')(),
    jobs: noJobs,
  };
  return { ctx, paths, close: () => store.close() };
}

/** openTestState on the suite's database: SQLite, or a fresh database on the test PostgreSQL server. */
export async function openTestStateOnDialect(): Promise<TestState> {
  if (testDialect === 'sqlite') return openTestState();
  const db = await freshDatabase(inject('postgresUrl'));
  const state = openTestState(undefined, await openPostgresStore(db.url));
  return {
    ...state,
    async close() {
      await state.close();
      await db.drop();
    },
  };
}

/** Every row of every infrakt table, ordered, on either dialect: compare before/after to prove nothing changed. */
export async function dumpRows(db: Db): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  const tables = (await db.introspection.getTables()).map((t) => t.name).sort();
  for (const name of tables) {
    // biome-ignore lint/suspicious/noExplicitAny: tables come from introspection, not the typed schema
    const q = (db as any).selectFrom(name).selectAll();
    const rows = (await q.execute()) as Record<string, unknown>[];
    out[name] = rows.map((r) => JSON.stringify(r)).sort();
  }
  return out;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Every regular file under a directory, recursively (including SQLite -wal/-shm files). */
export function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...allFiles(p));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

/** Files under `dir` whose bytes contain `needle` (as UTF-8, UTF-16LE, base64 or hex). */
export function filesContaining(dir: string, needle: string): string[] {
  const forms = [
    Buffer.from(needle, 'utf8'),
    Buffer.from(needle, 'utf16le'),
    Buffer.from(Buffer.from(needle).toString('hex')),
    ...base64Cores(needle),
  ];
  return allFiles(dir).filter((f) => {
    const bytes = readFileSync(f);
    return forms.some((form) => bytes.includes(form));
  });
}

// The stable middle of the base64 text of `needle` at each of the three byte alignments.
function base64Cores(needle: string): Buffer[] {
  return [0, 1, 2].map((shift) => {
    const b64 = Buffer.concat([Buffer.alloc(shift), Buffer.from(needle)]).toString('base64');
    return Buffer.from(b64.slice(4, Math.floor(b64.length / 4) * 4 - 4));
  });
}

export const fileMode = (p: string): number => statSync(p).mode & 0o777;

/** Every row of every table, in a stable order: compare before/after to prove nothing changed. */
export function dumpTables(db: BetterSqlite3.Database): Record<string, unknown[]> {
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .pluck()
    .all() as string[];
  const out: Record<string, unknown[]> = {
    __schema: db.prepare('SELECT type, name, sql FROM sqlite_master ORDER BY type, name').all(),
    __user_version: [db.pragma('user_version', { simple: true })],
  };
  for (const t of tables) out[t] = db.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).all();
  return out;
}
