import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/** The store and jobs suites: run on SQLite in `unit`, and again on a real PostgreSQL server in `postgres`. */
const STORE_SUITES = [
  'test/unit/store.test.ts',
  'test/unit/jobs-*.test.ts',
  'test/integration/jobs-crash.test.ts',
  // Main's outbox and monitor write through the async store too: prove them on both dialects.
  'test/unit/push-deploy/notify-outbox.test.ts',
  'test/unit/push-deploy/monitor-round.test.ts',
];

export default defineConfig({
  test: {
    // Most files wait on SSH, Docker, Caddy and browsers rather than on the CPU, and every file names its own
    // containers, ports and homes: three at a time even on a 2-core machine (the whole suite ~13 min instead of ~36).
    maxWorkers: Math.min(6, Math.max(3, availableParallelism())),
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'web/src/**/*.test.{ts,tsx}'],
          environment: 'node',
          // Unit files share the CPU with the slower tiers running beside them: deadlines, not speed checks.
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 240_000,
        },
      },
      {
        test: {
          name: 'postgres',
          include: [...STORE_SUITES, 'test/postgres/**/*.test.ts'],
          env: { INFRAKT_TEST_STORE: 'postgres' },
          globalSetup: ['test/harness/postgres-global.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
