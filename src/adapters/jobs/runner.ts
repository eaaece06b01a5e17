import { EventEmitter } from 'node:events';
import type { Clock } from '../../core/clock.js';
import { InfraktError, toInfraktError } from '../../core/errors.js';
import type { JobContext, JobEvent, JobHandle, JobRecord, JobSpec, Jobs } from '../../core/jobs.js';
import type { Store } from '../store/open.js';
import { finalize, transition } from './finalize.js';
import { liveness, runnerLabel } from './identity.js';
import { cancelledError, LiveJob } from './job-context.js';
import { acquire, lockedError } from './locks.js';
import { HEARTBEAT_MS, interrupt, type Recovery, recoverInterrupted } from './recovery.js';
import { isTerminal, jobQueries } from './rows.js';
import { checkSpec, jobError, resultJson, storedError } from './spec.js';
import { storeSubscription } from './subscribe.js';
import { newJobId, sleep } from './util.js';

export interface JobRunnerDeps {
  store: Store;
  clock: Clock;
  actor: string;
  /** Identifies this process as a lock holder / runner, e.g. `pid 123 on laptop` (default). */
  runner?: string;
  /** How often a running job checks for a cancel asked by another process (default 500 ms). */
  cancelPollMs?: number;
  /** How often a subscription to another process's job polls the store (default 250 ms). */
  subscribePollMs?: number;
  /** How often running jobs' heartbeat is refreshed (default 5 s). */
  heartbeatMs?: number;
}

export interface JobRunner extends Jobs {
  /** What crash recovery did when this runner was created. */
  readonly recovered: Recovery;
  /** Stops timers; jobs still running keep running. */
  close(): void;
}

interface Active {
  controller: AbortController;
  settled: Promise<unknown>;
}

const LOCK_POLL_MS = 200;
const CANCEL_WAIT_MS = 2000;

/** The durable job runner over the SQLite store (see DESIGN.md §4). */
export function createJobRunner(deps: JobRunnerDeps): JobRunner {
  const raw = deps.store.raw;
  const q = jobQueries(raw);
  const now = () => deps.clock.now().toISOString();
  const runner = runnerLabel(deps.runner);
  const holder = `${deps.actor}, ${runner}`;
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const active = new Map<string, Active>();
  const recovered = recoverInterrupted(raw, now());
  let cancelPoll: NodeJS.Timeout | undefined;

  const emit = (id: string) => (e: JobEvent) => {
    events.emit(id, e);
  };

  // One timer for all jobs of this runner: a cancel flagged in the store by another process aborts the job.
  function watchCancels(): void {
    if (cancelPoll || active.size === 0) return;
    cancelPoll = setInterval(() => {
      if (active.size === 0) {
        clearInterval(cancelPoll);
        cancelPoll = undefined;
        return;
      }
      for (const [id, a] of active) {
        if (!a.controller.signal.aborted && q.cancelRequested(id)) a.controller.abort(cancelledError());
      }
      if (Date.now() - lastBeat >= (deps.heartbeatMs ?? HEARTBEAT_MS)) beat();
    }, deps.cancelPollMs ?? 500);
    // Not unref'd: a running job is work in progress and keeps the process alive; cleared with the last job.
  }

  let lastBeat = 0;
  // Tells other processes (crash recovery) that our jobs are alive, when our pid can't be checked.
  function beat(): void {
    lastBeat = Date.now();
    const ids = [...active.keys()];
    if (ids.length === 0) return;
    raw.prepare(`UPDATE jobs SET heartbeat_at = ? WHERE id IN (${ids.map(() => '?').join(',')})`).run(now(), ...ids);
  }

  function jobSettled(id: string): void {
    active.delete(id);
    if (active.size === 0 && cancelPoll) {
      clearInterval(cancelPoll);
      cancelPoll = undefined;
    }
  }

  async function waitForLocks(job: LiveJob, spec: JobSpec, started: number): Promise<void> {
    const names = spec.locks ?? [];
    let said = false;
    for (;;) {
      const r = acquire(raw, names, { jobId: job.id, holder, now: now() });
      for (const l of r.released) job.log(`released stale lock ${l.name} held by ${l.holder} since ${l.acquiredAt}`);
      if (r.ok) return;
      const blocker = r.blocker!;
      if (Date.now() - started >= (spec.waitForLocksMs ?? 0)) throw lockedError(blocker, deps.clock.now());
      if (!said) job.log(`waiting for lock ${blocker.name} held by ${blocker.holder} (job ${blocker.jobId ?? '-'})`);
      said = true;
      await sleep(LOCK_POLL_MS, job.signal);
      if (job.signal.aborted) throw cancelledError(job.signal.reason);
    }
  }

  function end<T>(job: LiveJob, outcome: { ok: true; value: T } | { ok: false; error: unknown }): void {
    const at = now();
    const aborted = job.signal.aborted;
    if (outcome.ok) {
      for (const s of finalize(raw, job.id, 'succeeded', { now: at, resultJson: resultJson(outcome.value, job) }))
        emit(job.id)({ type: 'step', step: s });
      emit(job.id)({ type: 'status', status: 'succeeded' });
      return;
    }
    const err = aborted ? cancelledError(job.signal.reason) : toInfraktError(outcome.error);
    // A CANCELLED error (e.g. an executor whose own signal fired) ends the job cancelled too.
    const status = err.code === 'CANCELLED' ? 'cancelled' : 'failed';
    const stored = storedError(err, job);
    for (const s of finalize(raw, job.id, status, { now: at, error: stored })) emit(job.id)({ type: 'step', step: s });
    emit(job.id)({ type: 'status', status, error: stored });
  }

  async function start<T>(spec: JobSpec, body: (job: JobContext) => Promise<T>): Promise<JobHandle<T>> {
    checkSpec(spec);
    const id = newJobId();
    const created = now();
    const planned = spec.plannedSteps ?? [];
    raw
      .transaction(() => {
        raw
          .prepare(
            `INSERT INTO jobs (id, kind, status, server_id, app_id, target, params_json, actor, runner, created_at, heartbeat_at)
             VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            id,
            spec.kind,
            spec.serverId ?? null,
            spec.appId ?? null,
            spec.target,
            JSON.stringify(spec.params ?? {}),
            deps.actor,
            runner,
            created,
            created,
          );
        const ins = raw.prepare("INSERT INTO job_steps (job_id, idx, name, status) VALUES (?, ?, ?, 'pending')");
        planned.forEach((name, idx) => {
          ins.run(id, idx, name);
        });
      })
      .immediate();
    const controller = new AbortController();
    const job = new LiveJob(id, controller.signal, planned, raw, q, now, emit(id));
    controller.signal.addEventListener('abort', () => job.log('cancel requested: stopping'), { once: true });
    const began = Date.now();

    // Jobs of processes that died since this runner started must not block: recover them first.
    if (spec.locks?.length) {
      const r = recoverInterrupted(raw, now());
      for (const j of r.jobs) job.log(`marked job ${j} failed: the process running it is gone`);
      for (const l of r.locks) job.log(`released stale lock ${l.name} held by ${l.holder} since ${l.acquiredAt}`);
    }
    // Fail fast on contention when not asked to wait: the caller gets LOCKED, the attempt stays on record.
    let first: ReturnType<typeof acquire> | null = null;
    try {
      first = spec.locks?.length ? acquire(raw, spec.locks, { jobId: id, holder, now: now() }) : null;
    } catch (e) {
      // e.g. the database stayed busy: never leave a queued job behind in a live process.
      end(job, { ok: false, error: e });
      throw jobError(toInfraktError(e), id, job);
    }
    if (first && !first.ok && !spec.waitForLocksMs) {
      const err = lockedError(first.blocker!, deps.clock.now());
      end(job, { ok: false, error: err });
      throw jobError(err, id, job);
    }
    for (const l of first?.released ?? []) job.log(`released stale lock ${l.name} held by ${l.holder} (gone)`);

    const done = (async (): Promise<T> => {
      // Let the caller subscribe after `await start()` before the first event.
      await new Promise((r) => setImmediate(r));
      try {
        if (first && !first.ok) await waitForLocks(job, spec, began);
        if (controller.signal.aborted) throw cancelledError(controller.signal.reason);
        transition(raw, id, 'running', { started_at: now() });
        emit(id)({ type: 'status', status: 'running' });
      } catch (e) {
        end(job, { ok: false, error: e });
        throw jobError(toInfraktError(e), id, job);
      }
      try {
        const value = await body(job);
        end(job, { ok: true, value });
        return value;
      } catch (e) {
        end(job, { ok: false, error: e });
        throw jobError(
          controller.signal.aborted ? cancelledError(controller.signal.reason) : toInfraktError(e),
          id,
          job,
        );
      }
    })();
    const settled = done.then(
      () => undefined,
      () => undefined,
    );
    active.set(id, { controller, settled });
    void settled.then(() => jobSettled(id));
    watchCancels();
    return { id, done };
  }

  async function cancel(id: string): Promise<JobRecord> {
    const row = q.row(id);
    if (!row) return q.record(id); // throws NOT_FOUND
    if (isTerminal(row.status)) {
      throw new InfraktError(
        'STATE',
        `job ${id} has already ${row.status === 'cancelled' ? 'been cancelled' : row.status}`,
        {
          hint: `see it with: infrakt job show ${id}`,
        },
      );
    }
    raw.prepare("UPDATE jobs SET cancel_requested = 1 WHERE id = ? AND status IN ('queued', 'running')").run(id);
    const a = active.get(id);
    if (a) {
      a.controller.abort(cancelledError());
      await Promise.race([a.settled, sleep(CANCEL_WAIT_MS)]);
    } else if (liveness(row.runner) === 'dead') {
      interrupt(raw, id, row.runner ?? 'unknown', now());
    }
    return q.record(id);
  }

  // process.exit() (e.g. a second Ctrl-C) skips every pending promise: record our jobs as interrupted
  // synchronously (better-sqlite3 is synchronous) rather than leaving them for the next start to find.
  const onExit = () => {
    for (const id of active.keys()) {
      try {
        interrupt(raw, id, runner, now());
      } catch {
        // the store may already be closed
      }
    }
  };
  process.on('exit', onExit);

  const jobs: JobRunner = {
    recovered,
    start,
    async run(spec, body) {
      const h = await start(spec, body);
      return { jobId: h.id, result: await h.done };
    },
    async get(id) {
      return q.record(id);
    },
    async list(opts = {}) {
      const where: string[] = [];
      const args: (string | number)[] = [];
      const add = (clause: string, v: string | number) => {
        where.push(clause);
        args.push(v);
      };
      if (opts.status) add('status = ?', opts.status);
      if (opts.appId !== undefined) add('app_id = ?', opts.appId);
      if (opts.serverId !== undefined) add('server_id = ?', opts.serverId);
      const sql = `SELECT id FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`;
      const ids = raw.prepare(sql).all(...args, Math.max(1, Math.min(opts.limit ?? 50, 1000))) as { id: string }[];
      return ids.map((r) => q.record(r.id));
    },
    async logs(id, opts = {}) {
      q.record(id);
      return q.logs(id, opts.afterId ?? 0, Math.max(1, Math.min(opts.limit ?? 10_000, 100_000)));
    },
    cancel,
    subscribe(id, listener, opts = {}) {
      let last = opts.afterId ?? 0;
      const deliver = (e: JobEvent) => {
        if (e.type === 'log') {
          if (e.id <= last) return;
          last = e.id;
        }
        try {
          listener(e);
        } catch {
          // A failing subscriber must not break the job.
        }
      };
      // A job that has just ended may still be in `active` for a few microtasks: the store path then
      // delivers its final status instead of an emitter that will never fire again.
      if (active.has(id) && !isTerminal(q.row(id)?.status ?? 'failed')) {
        if (opts.afterId !== undefined) for (const e of q.logs(id, opts.afterId, 100_000)) deliver(e);
        events.on(id, deliver);
        return () => events.off(id, deliver);
      }
      return storeSubscription(q, id, deliver, opts.afterId, deps.subscribePollMs ?? 250);
    },
    close() {
      process.off('exit', onExit);
      if (cancelPoll) clearInterval(cancelPoll);
      cancelPoll = undefined;
    },
  };
  return jobs;
}
