import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InfraktError } from '../../src/core/errors.js';
import type { JobEvent } from '../../src/core/jobs.js';
import { secret } from '../../src/core/secret.js';
import { type TempStore, tempStore, until } from '../harness/temp-store.js';

let t: TempStore;
beforeEach(async () => {
  t = await tempStore();
});
afterEach(async () => {
  await t.cleanup();
});

const spec = { kind: 'deploy', target: 'web-1/api' };

describe('job state machine', () => {
  it('run: queued → running → succeeded, result stored', async () => {
    const jobs = t.runner();
    const seen: string[] = [];
    const { jobId, result } = await jobs.run(spec, async (job) => {
      seen.push((await jobs.get(job.id)).status);
      return { port: 8080 };
    });
    expect(result).toEqual({ port: 8080 });
    expect(seen).toEqual(['running']);
    const rec = await jobs.get(jobId);
    expect(rec).toMatchObject({
      kind: 'deploy',
      target: 'web-1/api',
      status: 'succeeded',
      actor: 'tester@test (cli)',
      error: null,
      result: { port: 8080 },
    });
    expect(rec.startedAt).not.toBeNull();
    expect(rec.finishedAt! >= rec.startedAt!).toBe(true);
    expect(rec.id).toMatch(/^j_[0-9a-z]+$/);
  });

  it('a failing body ends failed with code/message/hint and run rethrows with details.jobId', async () => {
    const jobs = t.runner();
    const err = await jobs
      .run(spec, async () => {
        throw new InfraktError('COMMAND_FAILED', 'docker pull failed', {
          hint: 'check the image',
          details: { exitCode: 1 },
        });
      })
      .catch((e) => e);
    expect(err).toBeInstanceOf(InfraktError);
    expect(err.code).toBe('COMMAND_FAILED');
    const rec = await jobs.get(err.details.jobId);
    expect(rec.status).toBe('failed');
    expect(rec.error).toEqual({ code: 'COMMAND_FAILED', message: 'docker pull failed', hint: 'check the image' });
  });

  it('a non-Infrakt throw is stored as INTERNAL', async () => {
    const jobs = t.runner();
    const err = await jobs.run(spec, async () => Promise.reject(new Error('boom'))).catch((e) => e);
    expect(err.code).toBe('INTERNAL');
    expect((await jobs.get(err.details.jobId)).error?.message).toContain('boom');
  });

  it('start returns before the body runs; the job outlives the caller', async () => {
    const jobs = t.runner();
    let ran = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const h = await jobs.start(spec, async () => {
      ran = true;
      await gate;
      return 1;
    });
    expect(ran).toBe(false);
    // Queued until the next macrotask; a slower store (Postgres) may already show it running.
    expect(['queued', 'running']).toContain((await jobs.get(h.id)).status);
    release();
    await expect(h.done).resolves.toBe(1);
    expect((await jobs.get(h.id)).status).toBe('succeeded');
  });

  it('refuses params holding a Secret, before writing anything', async () => {
    const jobs = t.runner();
    await expect(
      jobs.run({ ...spec, params: { db: { password: secret('hunter22') } } }, async () => 1),
    ).rejects.toMatchObject({
      code: 'VALIDATION',
      message: expect.stringContaining('params.db.password'),
    });
    expect(await jobs.list()).toEqual([]);
  });

  it('list filters by status and app, newest first', async () => {
    const jobs = t.runner();
    const a = await jobs.run({ ...spec, appId: 1 }, async () => 1);
    await jobs.run({ ...spec, appId: 2 }, async () => 1);
    const c = await jobs
      .run({ ...spec, appId: 1 }, async () => Promise.reject(new Error('x')))
      .catch((e) => e.details.jobId);
    expect((await jobs.list({ appId: 1 })).map((j) => j.id)).toEqual([c, a.jobId]);
    expect((await jobs.list({ status: 'failed' })).map((j) => j.id)).toEqual([c]);
    expect(await jobs.list({ limit: 1 })).toHaveLength(1);
  });

  it('get of an unknown job is NOT_FOUND', async () => {
    await expect(t.runner().get('j_nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('steps', () => {
  it('records planned, run, unchanged, skipped and failed steps with exit codes and timestamps', async () => {
    const jobs = t.runner();
    const err = await jobs
      .run({ ...spec, plannedSteps: ['pull', 'config', 'switch', 'cleanup'] }, async (job) => {
        await job.step('pull', async (s) => {
          s.log('pulling');
          s.exitCode(0);
          s.detail('nginx:alpine');
        });
        await job.step('config', async (s) => s.unchanged('same compose file'));
        job.skip('cleanup', 'nothing to clean');
        await job.step('switch', async (s) => {
          s.exitCode(3);
          throw new InfraktError('COMMAND_FAILED', 'switch failed\nmore');
        });
      })
      .catch((e) => e);
    const rec = await jobs.get(err.details.jobId);
    expect(rec.steps.map((s) => [s.idx, s.name, s.status, s.exitCode, s.detail])).toEqual([
      [0, 'pull', 'succeeded', 0, 'nginx:alpine'],
      [1, 'config', 'unchanged', null, 'same compose file'],
      [2, 'switch', 'failed', 3, 'switch failed'],
      [3, 'cleanup', 'skipped', null, 'nothing to clean'],
    ]);
    for (const s of rec.steps) expect(s.finishedAt).not.toBeNull();
  });

  it('planned steps never reached are skipped on failure and cancelled on cancel', async () => {
    const jobs = t.runner();
    const err = await jobs
      .run({ ...spec, plannedSteps: ['a', 'b'] }, async (job) =>
        job.step('a', async () => Promise.reject(new Error('no'))),
      )
      .catch((e) => e);
    expect((await jobs.get(err.details.jobId)).steps.map((s) => s.status)).toEqual(['failed', 'skipped']);
  });

  it('steps not planned are appended; exit code comes from COMMAND_FAILED details', async () => {
    const jobs = t.runner();
    const err = await jobs
      .run(spec, async (job) => {
        await job.step('one', async () => 1);
        await job.step('two', async () => {
          throw new InfraktError('COMMAND_FAILED', 'x', { details: { exitCode: 42 } });
        });
      })
      .catch((e) => e);
    const rec = await jobs.get(err.details.jobId);
    expect(rec.steps.map((s) => [s.name, s.status, s.exitCode])).toEqual([
      ['one', 'succeeded', null],
      ['two', 'failed', 42],
    ]);
  });
});

describe('cancel', () => {
  it('in-process cancel aborts the signal; the job ends cancelled with CANCELLED', async () => {
    const jobs = t.runner();
    const h = await jobs.start({ ...spec, plannedSteps: ['wait', 'after'] }, async (job) =>
      job.step(
        'wait',
        () => new Promise((_, rej) => job.signal.addEventListener('abort', () => rej(new Error('aborted')))),
      ),
    );
    await until(async () => (await jobs.get(h.id)).steps[0]?.status === 'running');
    const rec = await jobs.cancel(h.id);
    expect(rec.status).toBe('cancelled');
    expect(rec.error?.code).toBe('CANCELLED');
    expect(rec.steps.map((s) => s.status)).toEqual(['cancelled', 'cancelled']);
    await expect(h.done).rejects.toMatchObject({ code: 'CANCELLED', details: { jobId: h.id } });
    await expect(jobs.cancel(h.id)).rejects.toMatchObject({ code: 'STATE' });
  });

  it('a cancel flagged by another runner (process) is picked up by polling', async () => {
    const mine = t.runner();
    const other = t.runner({ runner: 'pid 1 on elsewhere' });
    const h = await mine.start(
      spec,
      (job) => new Promise((_, rej) => job.signal.addEventListener('abort', () => rej(job.signal.reason))),
    );
    await until(async () => (await mine.get(h.id)).status === 'running');
    const flagged = await other.cancel(h.id);
    expect(flagged.cancelRequested).toBe(true);
    await expect(h.done).rejects.toMatchObject({ code: 'CANCELLED' });
    expect((await other.get(h.id)).status).toBe('cancelled');
  });

  it('a body that finishes before seeing the cancel still succeeds', async () => {
    const jobs = t.runner();
    const { jobId } = await jobs.run(spec, async () => 'ok');
    expect((await jobs.get(jobId)).status).toBe('succeeded');
  });
});

describe('subscribe and logs', () => {
  it('delivers status, step and log events in order to in-process subscribers', async () => {
    const jobs = t.runner();
    const events: JobEvent[] = [];
    const h = await jobs.start(spec, async (job) => {
      await job.step('s', async (s) => s.log('hello'));
      job.log('bye', 'stderr');
    });
    const off = jobs.subscribe(h.id, (e) => events.push(e));
    await h.done;
    off();
    const summary = events.map((e) =>
      e.type === 'status' ? e.status : e.type === 'step' ? `${e.step.name}:${e.step.status}` : `log:${e.line}`,
    );
    expect(summary).toEqual(['running', 's:running', 'log:hello', 's:succeeded', 'log:bye', 'succeeded']);
  });

  it('logs() pages with an id cursor; subscribe({afterId}) replays then follows without duplicates', async () => {
    const jobs = t.runner();
    const { jobId } = await jobs.run(spec, async (job) => {
      for (let i = 0; i < 10; i++) job.log(`line ${i}`);
    });
    const first = await jobs.logs(jobId, { limit: 4 });
    expect(first.map((l) => l.line)).toEqual(['line 0', 'line 1', 'line 2', 'line 3']);
    const rest = await jobs.logs(jobId, { afterId: first.at(-1)!.id });
    expect(rest.map((l) => l.line)).toEqual(['line 4', 'line 5', 'line 6', 'line 7', 'line 8', 'line 9']);
    const replay: JobEvent[] = [];
    jobs.subscribe(jobId, (e) => replay.push(e), { afterId: rest[3]!.id });
    await until(() => replay.some((e) => e.type === 'status'));
    expect(replay.map((e) => (e.type === 'log' ? e.line : e.type))).toEqual(['line 8', 'line 9', 'status']);
  });

  it('a replay (afterId) of a job that already ended delivers its steps as they ended', async () => {
    const jobs = t.runner();
    const h = await jobs.start({ ...spec, plannedSteps: ['x'] }, async (job) => {
      await job.step('x', async (s) => s.log('done'));
    });
    await until(async () => (await jobs.get(h.id))?.status === 'succeeded');
    const got: JobEvent[] = [];
    const off = jobs.subscribe(h.id, (e) => got.push(e), { afterId: 0 });
    await until(() => got.some((e) => e.type === 'status'));
    off();
    expect(got.some((e) => e.type === 'step' && e.step.name === 'x' && e.step.status === 'succeeded')).toBe(true);
  });

  it('follows a job run by another runner by polling the store', async () => {
    const runA = t.runner();
    const watcher = t.runner({ runner: 'pid 1 on elsewhere' });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const h = await runA.start({ ...spec, plannedSteps: ['x'] }, async (job) => {
      await job.step('x', async (s) => {
        s.log('before');
        await gate;
        s.log('after');
      });
    });
    await until(async () => (await runA.logs(h.id)).length === 1);
    const got: JobEvent[] = [];
    const off = watcher.subscribe(h.id, (e) => got.push(e), { afterId: 0 });
    release();
    await until(() => got.some((e) => e.type === 'status' && e.status === 'succeeded'));
    off();
    expect(got.filter((e) => e.type === 'log').map((e) => (e as { line: string }).line)).toEqual(['before', 'after']);
    expect(got.some((e) => e.type === 'step' && e.step.status === 'succeeded')).toBe(true);
  });
});

describe('runner identity', () => {
  it('a custom runner label gets pid and host added (crash recovery needs them); the token is hidden', async () => {
    const jobs = t.runner({ runner: 'infrakt serve' });
    const { jobId } = await jobs.run(spec, async () => 1);
    const rec = await jobs.get(jobId);
    expect(rec.runner).toBe(`infrakt serve (pid ${process.pid} on ${hostname()})`);
  });
});

describe('CANCELLED raised inside a body', () => {
  it('ends the job (and the step) cancelled even without a cancel request', async () => {
    const jobs = t.runner();
    const err = await jobs
      .run(spec, async (job) =>
        job.step('stream', async () => {
          throw new InfraktError('CANCELLED', 'command cancelled');
        }),
      )
      .catch((e) => e);
    expect(err.code).toBe('CANCELLED');
    const rec = await jobs.get(err.details.jobId);
    expect(rec.status).toBe('cancelled');
    expect(rec.steps[0]?.status).toBe('cancelled');
  });
});
