// Fast commands must report their exit code, on both paths of the executor: a channel of their own
// (ssh2 may emit 'exit' before a listener attached after the open sees it) and the persistent shell
// (the end marker). The work is bounded by a budget derived from the per-command cost measured on
// this machine at the start, and every batch has a deadline derived from it too: a lost exit status
// fails fast with a clear message instead of running into the test timeout on a slow machine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type ServerTarget } from '../../src/adapters/connect.js';
import { exec } from '../../src/core/cmd/index.js';
import type { Executor } from '../../src/core/executor.js';
import { type SshdHost, sshdAvailable, startSshd, stopAllSshd } from '../harness/sshd.js';

const PARALLEL = 8;
// Wall time the stress part may use, whatever the machine: the number of batches follows from it.
const BUDGET_MS = 20_000;
const MIN_BATCHES = 6;
const MAX_BATCHES = 40;

const target = (h: SshdHost): ServerTarget => ({
  name: 'race-host',
  host: h.host,
  port: h.port,
  user: h.user,
  key_path: h.keyPath,
  host_key: h.hostKey,
  host_key_fingerprint: h.fingerprint,
});

const expected = (batch: number, i: number) => (batch + i) % 3;

async function batch(ex: Executor, n: number): Promise<number[]> {
  const results = await Promise.all(
    Array.from({ length: PARALLEL }, (_, i) => ex.run(exec('sh', '-c', `exit ${expected(n, i)}`))),
  );
  return results.map((r) => r.exitCode);
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms (a lost exit status?)`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

describe.skipIf(!sshdAvailable())('ssh exit status of fast commands', () => {
  let h: SshdHost;

  beforeAll(async () => {
    h = await startSshd();
  });
  afterAll(async () => {
    await stopAllSshd();
  });

  for (const mode of ['a channel per command', 'the persistent shell'] as const) {
    it(`reports every exit code of immediate parallel commands (${mode})`, async () => {
      const ex = await connect(target(h), { persistentShell: mode === 'the persistent shell' });
      try {
        // Measure: one warm-up batch, then one timed batch. The slower of the two sets the pace.
        const t0 = performance.now();
        expect(await batch(ex, 0)).toEqual(Array.from({ length: PARALLEL }, (_, i) => expected(0, i)));
        const t1 = performance.now();
        expect(await batch(ex, 1)).toEqual(Array.from({ length: PARALLEL }, (_, i) => expected(1, i)));
        const perBatch = Math.max(t1 - t0, performance.now() - t1, 1);
        const batches = Math.min(MAX_BATCHES, Math.max(MIN_BATCHES, Math.floor(BUDGET_MS / perBatch)));
        // A batch may be 20× slower than measured (the machine is shared) before it counts as lost.
        const deadlineMs = Math.max(10_000, 20 * perBatch);
        const codes: number[] = [];
        for (let n = 2; n < batches + 2; n++) {
          codes.push(...(await withDeadline(batch(ex, n), deadlineMs, `batch ${n} (${mode})`)));
        }
        expect(codes).toHaveLength(batches * PARALLEL);
        expect(codes).toEqual(
          Array.from({ length: batches * PARALLEL }, (_, k) => expected(2 + Math.floor(k / PARALLEL), k % PARALLEL)),
        );
      } finally {
        await ex.close();
      }
      // The budget bounds the work; this only catches a machine far slower than any seen (6 batches).
    }, 300_000);
  }
});
