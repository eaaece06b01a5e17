import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { createJobRunner, type JobRunner, type JobRunnerDeps } from '../../src/adapters/jobs/runner.js';
import { openStore } from '../../src/adapters/store/open.js';
import { openPostgresStore } from '../../src/adapters/store/postgres.js';
import type { Store } from '../../src/adapters/store/store.js';
import { systemClock } from '../../src/services/shared/context.js';
import { freshDatabase } from './postgres.js';

/**
 * Which database the store and jobs suites run on: SQLite (the `unit` project) or the real PostgreSQL server of the
 * `postgres` project (INFRAKT_TEST_STORE=postgres, see vitest.config.ts): the same test files run on both.
 */
export const testDialect: 'sqlite' | 'postgres' = process.env.INFRAKT_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';

/** A real store, fresh for the test (a SQLite file in a temp dir, or a new Postgres database), removed by cleanup. */
export interface TempStore {
  dir: string;
  /** The SQLite file, or the Postgres URL (what a child process or INFRAKT_DATABASE_URL takes). */
  file: string;
  store: Store;
  runner(over?: Partial<JobRunnerDeps>): JobRunner;
  cleanup(): Promise<void>;
}

export async function tempStore(): Promise<TempStore> {
  const dir = mkdtempSync(join(tmpdir(), 'ikt-test-jobs-'));
  let file = join(dir, 'infrakt.db');
  let store: Store;
  let drop = async () => {};
  if (testDialect === 'postgres') {
    const db = await freshDatabase(inject('postgresUrl'));
    file = db.url;
    drop = db.drop;
    store = await openPostgresStore(db.url);
  } else {
    store = openStore(file);
  }
  const runners: JobRunner[] = [];
  return {
    dir,
    file,
    store,
    runner(over = {}) {
      const r = createJobRunner({
        store,
        clock: systemClock,
        actor: 'tester@test (cli)',
        cancelPollMs: 50,
        subscribePollMs: 20,
        ...over,
      });
      runners.push(r);
      return r;
    },
    async cleanup() {
      for (const r of runners) r.close();
      // Recovery may still be writing when a test ends early.
      await Promise.all(runners.map((r) => r.recovered.catch(() => undefined)));
      await store.close();
      await drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a truthy value, or fails after `ms`. */
export async function until<T>(check: () => T | Promise<T>, ms = 5000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
