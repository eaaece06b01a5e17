import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJobRunner, type JobRunner, type JobRunnerDeps } from '../../src/adapters/jobs/runner.js';
import { openStore, type Store } from '../../src/adapters/store/open.js';
import { systemClock } from '../../src/services/shared/context.js';

/** A real SQLite store in a fresh temp dir (removed by cleanup). */
export interface TempStore {
  dir: string;
  file: string;
  store: Store;
  runner(over?: Partial<JobRunnerDeps>): JobRunner;
  cleanup(): Promise<void>;
}

export function tempStore(): TempStore {
  const dir = mkdtempSync(join(tmpdir(), 'ikt-test-jobs-'));
  const file = join(dir, 'infrakt.db');
  const store = openStore(file);
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
      await store.close();
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
