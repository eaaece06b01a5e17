import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { breakLock, listLocks } from '../../src/adapters/jobs/locks.js';
import { createJobRunner } from '../../src/adapters/jobs/runner.js';
import { systemClock } from '../../src/services/shared/context.js';
import { type TempStore, tempStore, until } from '../harness/temp-store.js';

let t: TempStore;
beforeEach(async () => {
  t = await tempStore();
});
afterEach(async () => {
  await t.cleanup();
});

const spec = { kind: 'deploy', target: 'web-1/api', locks: ['app:1'] };
const hold = () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  return { gate, release };
};
const insertJob = (row: {
  id: string;
  status: string;
  runner: string | null;
  created_at: string;
  started_at?: string;
  heartbeat_at?: string | null;
}) =>
  t.store.db
    .insertInto('jobs')
    .values({ kind: 'deploy', target: 'w/a', actor: 'x', cancel_requested: 0, params_json: '{}', ...row })
    .execute();
const insertLock = (name: string, jobId: string | null, holder: string, at: string) =>
  t.store.db.insertInto('locks').values({ name, job_id: jobId, holder, acquired_at: at }).execute();
// A pid that surely belongs to no running process: a child that has exited.
const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid!;

describe('store locks', () => {
  it('a second job on a held lock fails LOCKED naming the holder, recorded as a failed job', async () => {
    const jobs = t.runner();
    const { gate, release } = hold();
    const first = await jobs.start(spec, () => gate);
    const err = await jobs.run(spec, async () => 1).catch((e) => e);
    expect(err.code).toBe('LOCKED');
    expect(err.message).toContain('app:1 is locked by tester@test (cli), pid');
    expect(err.message).toContain(`job ${first.id}`);
    expect(err.message).not.toMatch(/#[0-9a-f]{8}/);
    expect(err.details.holderJobId).toBe(first.id);
    expect((await jobs.get(err.details.jobId)).status).toBe('failed');
    expect((await listLocks(t.store.db)).map((l) => [l.name, l.jobId, l.holderState])).toEqual([
      ['app:1', first.id, 'alive'],
    ]);
    release();
    await first.done;
    expect(await listLocks(t.store.db)).toEqual([]);
    await expect(jobs.run(spec, async () => 2)).resolves.toMatchObject({ result: 2 });
  });

  it('locks are all-or-nothing', async () => {
    const jobs = t.runner();
    const { gate, release } = hold();
    const h = await jobs.start({ ...spec, locks: ['app:2'] }, () => gate);
    await expect(jobs.run({ ...spec, locks: ['app:1', 'app:2'] }, async () => 1)).rejects.toMatchObject({
      code: 'LOCKED',
    });
    expect((await listLocks(t.store.db)).map((l) => l.name)).toEqual(['app:2']);
    release();
    await h.done;
  });

  it('waitForLocksMs waits (queued) and runs once the lock is free', async () => {
    const jobs = t.runner();
    const { gate, release } = hold();
    const first = await jobs.start(spec, () => gate);
    const second = await jobs.start({ ...spec, waitForLocksMs: 5000 }, async () => 'second');
    await until(async () => (await jobs.logs(second.id)).some((l) => l.line.startsWith('waiting for lock app:1')));
    expect((await jobs.get(second.id)).status).toBe('queued');
    release();
    await expect(second.done).resolves.toBe('second');
    await first.done;
  });

  it('waitForLocksMs gives up with LOCKED', async () => {
    const jobs = t.runner();
    const { gate, release } = hold();
    const first = await jobs.start(spec, () => gate);
    const second = await jobs.start({ ...spec, waitForLocksMs: 300 }, async () => 1);
    await expect(second.done).rejects.toMatchObject({ code: 'LOCKED' });
    release();
    await first.done;
  });

  it('a lock held by a dead process on this host is released automatically', async () => {
    const jobs = t.runner(); // created first: its start-up recovery would already release the lock
    await jobs.recovered;
    await insertLock('app:1', null, `bob (cli), pid ${deadPid()} on ${hostname()} #0badc0de`, new Date().toISOString());
    expect((await listLocks(t.store.db))[0]?.holderState).toBe('dead');
    const { jobId } = await jobs.run(spec, async () => 1);
    expect((await jobs.logs(jobId)).map((l) => l.line).join('\n')).toContain(
      'released stale lock app:1 held by bob (cli)',
    );
  });

  it('a lock held on another host is reported and can be broken explicitly', async () => {
    await insertLock('app:1', 'j_other', 'carol (api), pid 4242 on build-box #12345678', '2026-01-01T00:00:00.000Z');
    const jobs = t.runner();
    const err = await jobs.run(spec, async () => 1).catch((e) => e);
    expect(err.code).toBe('LOCKED');
    expect(err.message).toContain('carol (api), pid 4242 on build-box since 2026-01-01T00:00:00.000Z');
    expect(err.hint).toContain('infrakt lock break app:1');
    expect((await breakLock(t.store.db, 'app:1')).holder).toBe('carol (api), pid 4242 on build-box');
    await expect(jobs.run(spec, async () => 1)).resolves.toBeTruthy();
    await expect(breakLock(t.store.db, 'app:1')).rejects.toThrow(/not found/);
  });
});

describe('crash recovery', () => {
  it('jobs of a dead process on this host are marked INTERRUPTED and their locks released', async () => {
    const dead = `pid ${deadPid()} on ${hostname()} #0badc0de`;
    const now = new Date().toISOString();
    await insertJob({ id: 'j_dead', status: 'running', runner: dead, created_at: now, started_at: now });
    await t.store.db
      .insertInto('job_steps')
      .values([
        { job_id: 'j_dead', idx: 0, name: 'pull', status: 'running', started_at: now },
        { job_id: 'j_dead', idx: 1, name: 'switch', status: 'pending' },
      ])
      .execute();
    await insertJob({ id: 'j_q', status: 'queued', runner: dead, created_at: now });
    await insertJob({ id: 'j_remote', status: 'running', runner: 'pid 1 on other-host #12345678', created_at: now });
    // Approved and waiting for a worker: nobody runs it, so nobody died running it.
    await insertJob({ id: 'j_unclaimed', status: 'queued', runner: null, created_at: now });
    await insertLock('app:1', 'j_dead', `x, ${dead}`, now);

    const jobs = createJobRunner({ store: t.store, clock: systemClock, actor: 'me' });
    expect(await jobs.recovered).toEqual({ jobs: ['j_dead', 'j_q'], locks: [] });
    const rec = await jobs.get('j_dead');
    expect(rec.status).toBe('failed');
    expect(rec.error?.code).toBe('INTERRUPTED');
    expect(rec.error?.message).toContain('is gone');
    expect(rec.steps.map((s) => [s.status, s.detail])).toEqual([
      ['failed', 'interrupted'],
      ['skipped', 'not run'],
    ]);
    expect((await jobs.get('j_q')).status).toBe('failed');
    expect((await jobs.get('j_remote')).status).toBe('running');
    expect((await jobs.get('j_unclaimed')).status).toBe('queued');
    expect(await listLocks(t.store.db)).toEqual([]);
    jobs.close();
  });

  it('this process’s own live jobs are not touched by a second runner', async () => {
    const a = t.runner();
    const { gate, release } = hold();
    const h = await a.start(spec, () => gate);
    await until(async () => (await a.get(h.id)).status === 'running');
    const b = t.runner();
    expect((await b.recovered).jobs).toEqual([]);
    release();
    await h.done;
  });
});

describe('cancel while waiting for a lock', () => {
  it('a queued job waiting for a lock ends cancelled without ever running', async () => {
    const jobs = t.runner();
    const { gate, release } = hold();
    const first = await jobs.start(spec, () => gate);
    let ran = false;
    const second = await jobs.start({ ...spec, waitForLocksMs: 10_000 }, async () => {
      ran = true;
    });
    await until(async () => (await jobs.logs(second.id)).length > 0);
    const rec = await jobs.cancel(second.id);
    expect(rec.status).toBe('cancelled');
    expect(rec.startedAt).toBeNull();
    await expect(second.done).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(ran).toBe(false);
    expect((await listLocks(t.store.db)).map((l) => l.jobId)).toEqual([first.id]);
    release();
    await first.done;
  });
});

describe('heartbeat', () => {
  const insert = (id: string, runner: string, beatAgoMs: number | null) => {
    const now = Date.now();
    return insertJob({
      id,
      status: 'running',
      runner,
      created_at: new Date(now - 3_600_000).toISOString(),
      heartbeat_at: beatAgoMs === null ? null : new Date(now - beatAgoMs).toISOString(),
    });
  };

  it('a job of an uncheckable process (other hostname) is recovered once its heartbeat is silent for a minute', async () => {
    await insert('j_silent', 'pid 7 on old-container #12345678', 120_000);
    await insert('j_fresh', 'pid 7 on other-container #12345678', 2_000);
    await insert('j_never', 'worker-without-pid', null);
    await insertLock('app:1', 'j_silent', 'x, pid 7 on old-container #12345678', new Date().toISOString());
    const jobs = t.runner();
    expect([...(await jobs.recovered).jobs].sort()).toEqual(['j_never', 'j_silent']);
    expect((await jobs.get('j_silent')).error?.code).toBe('INTERRUPTED');
    expect((await jobs.get('j_fresh')).status).toBe('running');
    expect(await listLocks(t.store.db)).toEqual([]);
  });

  it('a running job keeps its heartbeat fresh', async () => {
    const jobs = t.runner({ heartbeatMs: 20 });
    const { gate, release } = hold();
    const h = await jobs.start(spec, () => gate);
    const beat = async () =>
      (await t.store.db.selectFrom('jobs').select('heartbeat_at').where('id', '=', h.id).executeTakeFirstOrThrow())
        .heartbeat_at ?? '';
    const first = await beat();
    await until(async () => (await beat()) > first, 3000, 'a newer heartbeat');
    release();
    await h.done;
  });

  it('a runner started earlier recovers a dead process’s job before taking its lock', async () => {
    const jobs = t.runner();
    const dead = `pid ${deadPid()} on ${hostname()} #0badc0de`;
    const now = new Date().toISOString();
    await jobs.recovered;
    await insertJob({ id: 'j_gone', status: 'running', runner: dead, created_at: now });
    await insertLock('app:1', 'j_gone', `x, ${dead}`, now);
    const { jobId } = await jobs.run(spec, async () => 1);
    expect((await jobs.get('j_gone')).error?.code).toBe('INTERRUPTED');
    expect((await jobs.logs(jobId)).map((l) => l.line)).toContain(
      'marked job j_gone failed: the process running it is gone',
    );
  });
});
