// withServer, the one remote session of a job: connect and the server lock are recorded steps, and the lock is
// released and the connection closed whatever the body does (returns, throws, is cancelled, fails beside a
// lock still being taken). A real job runner and store, and the real lock commands on /bin/sh in a temp root.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJobRunner, type JobRunner } from '../../src/adapters/jobs/runner.js';
import type { ServerRow } from '../../src/adapters/store/schema.js';
import { InfraktError } from '../../src/core/errors.js';
import type { Executor } from '../../src/core/executor.js';
import type { JobContext } from '../../src/core/jobs.js';
import { registerServer } from '../../src/services/servers/servers.js';
import type { Ctx } from '../../src/services/shared/context.js';
import { acquireRemoteLock } from '../../src/services/shared/remote-lock.js';
import { type ServerLock, type ServerSession, withServer } from '../../src/services/shared/server-session.js';
import { shExecutor } from '../harness/sh-executor.js';
import { until } from '../harness/temp-store.js';
import { openTestState, removeDir, type TestState, tempDir } from '../helpers/state.js';

describe('withServer', () => {
  let dir: string;
  let state: TestState;
  let jobs: JobRunner;
  let ctx: Ctx;
  let server: ServerRow;
  let connects: number;
  let closes: number;
  /** Whether the lock directory still existed when the connection was closed (it must not). */
  let lockHeldAtClose: boolean[];
  let ex: Executor & { commands: string[] };
  const lockDir = () => join(dir, 'root', 'locks', 'app-web.lock');
  const appLock: ServerLock = { name: 'app-web' };

  beforeEach(async () => {
    dir = tempDir();
    state = openTestState(join(dir, 'home'));
    jobs = createJobRunner({ store: state.ctx.store, clock: { now: () => new Date() }, actor: 'tester' });
    connects = 0;
    closes = 0;
    lockHeldAtClose = [];
    const sh = shExecutor();
    ex = {
      ...sh,
      close: async () => {
        closes++;
        lockHeldAtClose.push(existsSync(lockDir()));
      },
    };
    ctx = {
      ...state.ctx,
      jobs,
      connect: async () => {
        connects++;
        return ex;
      },
    };
    server = await registerServer(ctx, { name: 'box', host: '127.0.0.1', root: join(dir, 'root') });
  });

  afterEach(async () => {
    jobs.close();
    await state.close();
    removeDir(dir);
  });

  const run = <T>(lock: ServerLock | null, fn: (s: ServerSession, job: JobContext) => Promise<T>) =>
    jobs.run({ kind: 'test', target: 'box/web', plannedSteps: ['connect'] }, (job) =>
      withServer(ctx, job, server, { lock }, (s) => fn(s, job)),
    );
  const stepsOf = async (id: string) => (await jobs.get(id)).steps.map((s) => [s.name, s.status]);
  const lastJob = async () => (await jobs.list({ limit: 1 }))[0]!;

  it('on success: connect and lock are recorded steps, the lock is held in the body, then released, then closed', async () => {
    const { jobId, result } = await run(appLock, async ({ ex: e }, job) => {
      expect(e).toBe(ex);
      return job.step('work', async () => existsSync(lockDir()));
    });
    expect(result).toBe(true);
    expect(await stepsOf(jobId)).toEqual([
      ['connect', 'succeeded'],
      ['lock on server', 'succeeded'],
      ['work', 'succeeded'],
    ]);
    expect((await jobs.get(jobId)).steps[0]!.detail).toBe('sh@test');
    expect(existsSync(lockDir())).toBe(false);
    expect([connects, closes, lockHeldAtClose]).toEqual([1, 1, [false]]);
  });

  it('on a throw: the error is the job error, the lock is released and the connection closed', async () => {
    const err = await run({ name: 'app-web', step: 'lock app on server' }, async (_s, job) =>
      job.step('work', async () => {
        expect(existsSync(lockDir())).toBe(true);
        throw new InfraktError('COMMAND_FAILED', 'boom');
      }),
    ).catch((e) => e);
    expect(err).toMatchObject({ code: 'COMMAND_FAILED', message: 'boom' });
    const job = await lastJob();
    expect(job.status).toBe('failed');
    expect(job.steps.map((s) => [s.name, s.status])).toEqual([
      ['connect', 'succeeded'],
      ['lock app on server', 'succeeded'],
      ['work', 'failed'],
    ]);
    expect(existsSync(lockDir())).toBe(false);
    expect([closes, lockHeldAtClose]).toEqual([1, [false]]);
  });

  it('on cancel: the job ends cancelled, the lock is released and the connection closed', async () => {
    const h = await jobs.start({ kind: 'test', target: 'box/web' }, (job) =>
      withServer(ctx, job, server, { lock: appLock }, () =>
        job.step(
          'wait',
          () =>
            new Promise<never>((_, reject) =>
              job.signal.addEventListener('abort', () => reject(new InfraktError('CANCELLED', 'cancelled'))),
            ),
        ),
      ),
    );
    await until(() => existsSync(lockDir()), 10_000, 'the lock taken');
    await jobs.cancel(h.id);
    expect(await h.done.catch((e) => e.code)).toBe('CANCELLED');
    expect((await jobs.get(h.id)).status).toBe('cancelled');
    expect(existsSync(lockDir())).toBe(false);
    expect([closes, lockHeldAtClose]).toEqual([1, [false]]);
  });

  it('a deferred lock still being taken when the body fails beside it is released once it is taken', async () => {
    const err = await run({ ...appLock, deferred: true }, async ({ lock }, job) =>
      job.step('prepare', async () => {
        await Promise.all([lock(), Promise.reject(new InfraktError('COMMAND_FAILED', 'detect failed'))]);
      }),
    ).catch((e) => e);
    expect(err.message).toBe('detect failed');
    // The release command ran after the acquire, before the close.
    const acquired = ex.commands.findIndex((c) => c.includes('mkdir -- ') && c.includes('app-web.lock'));
    const released = ex.commands.findIndex((c) => c.startsWith('grep -qxF') && c.includes('app-web.lock'));
    expect(acquired).toBeGreaterThan(-1);
    expect(released).toBeGreaterThan(acquired);
    expect(existsSync(lockDir())).toBe(false);
    expect([closes, lockHeldAtClose]).toEqual([1, [false]]);
    expect((await lastJob()).steps.map((s) => s.name)).toEqual(['connect', 'prepare']);
  });

  it('a lock held by another holder: LOCKED, their lock untouched, the connection closed', async () => {
    const theirs = await acquireRemoteLock(ex, { root: join(dir, 'root'), name: 'app-web', holder: 'alice@laptop' });
    let ran = false;
    const err = await run(appLock, async () => {
      ran = true;
    }).catch((e) => e);
    expect(err).toMatchObject({ code: 'LOCKED' });
    expect(err.message).toMatch(/locked by alice@laptop/);
    expect(ran).toBe(false);
    expect(readFileSync(join(lockDir(), 'owner'), 'utf8')).toContain(`token=${theirs.owner.token}`);
    expect(closes).toBe(1);
    expect((await lastJob()).steps.map((s) => [s.name, s.status])).toEqual([
      ['connect', 'succeeded'],
      ['lock on server', 'failed'],
    ]);
  });

  it('without a lock: only connect is recorded, lock() is refused, the connection is closed', async () => {
    const { jobId } = await run(null, async ({ lock }) => {
      await expect(lock()).rejects.toThrow(/without a declared lock/);
    });
    expect(await stepsOf(jobId)).toEqual([['connect', 'succeeded']]);
    expect(existsSync(join(dir, 'root', 'locks'))).toBe(false);
    expect(closes).toBe(1);
  });

  it('a failed connect: the connect step fails, the body never runs, nothing to close', async () => {
    ctx = {
      ...ctx,
      connect: async () => {
        throw new InfraktError('SSH_UNREACHABLE', 'cannot reach box');
      },
    };
    let ran = false;
    const err = await run(appLock, async () => {
      ran = true;
    }).catch((e) => e);
    expect(err).toMatchObject({ code: 'SSH_UNREACHABLE' });
    expect(ran).toBe(false);
    expect(closes).toBe(0);
    expect((await lastJob()).steps.map((s) => [s.name, s.status])).toEqual([['connect', 'failed']]);
  });
});
