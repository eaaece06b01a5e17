import { type ChildProcess, spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listLocks } from '../../src/adapters/jobs/locks.js';
import { createJobRunner } from '../../src/adapters/jobs/runner.js';
import type { Store } from '../../src/adapters/store/store.js';
import { systemClock } from '../../src/services/shared/context.js';
import { bundleForTest } from '../harness/bundle.js';
import { type TempStore, tempStore, testDialect } from '../harness/temp-store.js';

// Runs on SQLite (integration project) and on PostgreSQL (postgres project): child processes share the store.
let child: { file: string; cleanup(): void };
let t: TempStore;
let db: string;
let store: Store;
const started: ChildProcess[] = [];

beforeAll(async () => {
  child = await bundleForTest('test/harness/jobs-child.ts');
  t = await tempStore();
  db = t.file;
  store = t.store;
});

afterAll(async () => {
  for (const p of started) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  await t?.cleanup();
  child?.cleanup();
});

function run(mode: 'hold' | 'contend' | 'exit') {
  const p = spawn(process.execPath, [child.file, db, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(p);
  let out = '';
  let err = '';
  p.stdout!.on('data', (d) => {
    out += d;
  });
  p.stderr!.on('data', (d) => {
    err += d;
  });
  const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
  const line = (re: RegExp, ms = 15_000) =>
    new Promise<string>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`no ${re} from child; stdout=${out} stderr=${err}`)), ms);
      const check = () => {
        const m = out.split('\n').find((l) => re.test(l));
        if (m) {
          clearTimeout(deadline);
          p.stdout!.off('data', check);
          resolve(m);
        }
      };
      p.stdout!.on('data', check);
      check();
    });
  return { p, exited, line };
}

describe('jobs across processes', () => {
  it('two processes contending for one lock: the second gets LOCKED naming the holder', async () => {
    const holder = run('hold');
    const jobId = (await holder.line(/^READY /)).split(' ')[1]!;
    const contender = run('contend');
    const result = JSON.parse(await contender.line(/^\{/));
    expect(result.ok).toBe(false);
    expect(result.code).toBe('LOCKED');
    expect(result.message).toContain(`app:1 is locked by child-hold, pid ${holder.p.pid} on ${hostname()}`);
    expect(result.details.holderJobId).toBe(jobId);
    expect(await contender.exited).toBe(0);

    // Cancel from this process: the holder notices the flag by polling and ends its job cancelled.
    const jobs = createJobRunner({ store, clock: systemClock, actor: 'test' });
    await jobs.cancel(jobId);
    expect(JSON.parse(await holder.line(/^\{/))).toEqual({ ok: false, code: 'CANCELLED' });
    expect(await holder.exited).toBe(0);
    const rec = await jobs.get(jobId);
    expect(rec.status).toBe('cancelled');
    expect(rec.steps.map((s) => s.status)).toEqual(['cancelled', 'cancelled']);
    expect(await listLocks(store.db)).toEqual([]);
    jobs.close();
  });

  it('kill -9 mid-job: the next runner marks the job failed (INTERRUPTED) and releases its lock', async () => {
    const holder = run('hold');
    const jobId = (await holder.line(/^READY /)).split(' ')[1]!;
    expect((await listLocks(store.db)).map((l) => [l.name, l.jobId, l.holderState])).toEqual([
      ['app:1', jobId, 'alive'],
    ]);
    holder.p.kill('SIGKILL');
    await holder.exited;

    const jobs = createJobRunner({ store, clock: systemClock, actor: 'test' });
    expect((await jobs.recovered).jobs).toEqual([jobId]);
    const rec = await jobs.get(jobId);
    expect(rec.status).toBe('failed');
    expect(rec.error?.code).toBe('INTERRUPTED');
    expect(rec.error?.message).toContain(`pid ${holder.p.pid} on ${hostname()}`);
    expect(rec.steps.map((s) => [s.name, s.status])).toEqual([
      ['work', 'failed'],
      ['finish', 'skipped'],
    ]);
    expect(await listLocks(store.db)).toEqual([]);
    jobs.close();

    const next = run('contend');
    expect(JSON.parse(await next.line(/^\{/)).ok).toBe(true);
  });

  it('a lock left by a killed process is released by the next contender even without a new runner start', async () => {
    const holder = run('hold');
    await holder.line(/^READY /);
    holder.p.kill('SIGKILL');
    await holder.exited;
    // The contender's own runner start-up recovers it; its job then takes the lock.
    const next = run('contend');
    expect(JSON.parse(await next.line(/^\{/)).ok).toBe(true);
  });

  if (testDialect === 'sqlite') {
    it('process.exit() mid-job (second Ctrl-C): the job is recorded interrupted on the way out', async () => {
      const quitter = run('exit');
      const jobId = (await quitter.line(/^READY /)).split(' ')[1]!;
      expect(await quitter.exited).toBe(16);
      // Read the store directly: no new runner (and so no start-up recovery) involved.
      const row = store.raw!.prepare('SELECT status, error_code FROM jobs WHERE id = ?').get(jobId);
      expect(row).toEqual({ status: 'failed', error_code: 'INTERRUPTED' });
      expect(await listLocks(store.db)).toEqual([]);
    });
  } else {
    it('process.exit() mid-job on Postgres: the next runner finds the job interrupted (its pid is gone)', async () => {
      const quitter = run('exit');
      const jobId = (await quitter.line(/^READY /)).split(' ')[1]!;
      expect(await quitter.exited).toBe(16);
      const jobs = createJobRunner({ store, clock: systemClock, actor: 'test' });
      expect((await jobs.recovered).jobs).toEqual([jobId]);
      expect((await jobs.get(jobId)).error?.code).toBe('INTERRUPTED');
      expect(await listLocks(store.db)).toEqual([]);
      jobs.close();
    });
  }
});
