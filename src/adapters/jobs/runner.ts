import { EventEmitter } from 'node:events';
import { sql } from 'kysely';
import type { Clock } from '../../core/clock.js';
import { InfraktError, toInfraktError } from '../../core/errors.js';
import type { JobContext, JobEvent, JobHandle, JobRecord, JobSpec, Jobs } from '../../core/jobs.js';
import type { Store } from '../store/store.js';
import { finalize, transition } from './finalize.js';
import { liveness, runnerLabel } from './identity.js';
import { cancelledError, LiveJob } from './job-context.js';
import { acquire, lockedError } from './locks.js';
import { HEARTBEAT_MS, interrupt, interruptSync, type Recovery, recoverInterrupted } from './recovery.js';
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
  /** What crash recovery did when this runner was created (resolved before the first job starts). */
  readonly recovered: Promise<Recovery>;
  /** Stops timers; jobs still running keep running. */
  close(): void;
}

interface Active {
  controller: AbortController;
  settled: Promise<unknown>;
  ended: boolean;
}

const LOCK_POLL_MS = 200;
const CANCEL_WAIT_MS = 2000;

/** The durable job runner over the store, SQLite or Postgres (see DESIGN.md §4). */
export function createJobRunner(deps: JobRunnerDeps): JobRunner {
  const { store } = deps;
  const q = jobQueries(store.db);
  const now = () => deps.clock.now().toISOString();
  const runner = runnerLabel(deps.runner);
  const holder = `${deps.actor}, ${runner}`;
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const active = new Map<string, Active>();
  const recovered = recoverInterrupted(store, now());
  // Reported through `recovered`; a job started meanwhile waits for it instead of failing on its own.
  recovered.catch(() => undefined);
  let cancelPoll: NodeJS.Timeout | undefined;

  const emit = (id: string) => (e: JobEvent) => {
    events.emit(id, e);
  };

  // One timer for all jobs of this runner: a cancel flagged in the store by another process aborts the job.
  function watchCancels(): void {
    if (cancelPoll || active.size === 0) return;
    let busy = false;
    cancelPoll = setInterval(async () => {
      if (active.size === 0) {
        clearInterval(cancelPoll);
        cancelPoll = undefined;
        return;
      }
      if (busy) return;
      busy = true;
      try {
        for (const [id, a] of active) {
          if (!a.controller.signal.aborted && (await q.cancelRequested(id))) a.controller.abort(cancelledError());
        }
        if (Date.now() - lastBeat >= (deps.heartbeatMs ?? HEARTBEAT_MS)) await beat();
      } catch {
        // The store may be briefly busy or closing: the next tick tries again.
      } finally {
        busy = false;
      }
    }, deps.cancelPollMs ?? 500);
    // Not unref'd: a running job is work in progress and keeps the process alive; cleared with the last job.
  }

  let lastBeat = 0;
  // Tells other processes (crash recovery) that our jobs are alive, when our pid can't be checked.
  async function beat(): Promise<void> {
    lastBeat = Date.now();
    const ids = [...active.keys()];
    if (ids.length === 0) return;
    await store.db.updateTable('jobs').set({ heartbeat_at: now() }).where('id', 'in', ids).execute();
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
      const r = await acquire(store, names, { jobId: job.id, holder, now: now() });
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

  async function end<T>(job: LiveJob, outcome: { ok: true; value: T } | { ok: false; error: unknown }): Promise<void> {
    // Lines and steps the body left in the queue go first: the final status is the last event.
    await job.flush().catch(() => undefined);
    const at = now();
    const aborted = job.signal.aborted;
    const a = active.get(job.id);
    if (a) a.ended = true;
    if (outcome.ok) {
      for (const s of await finalize(store, job.id, 'succeeded', {
        now: at,
        resultJson: resultJson(outcome.value, job),
      }))
        emit(job.id)({ type: 'step', step: s });
      emit(job.id)({ type: 'status', status: 'succeeded' });
      return;
    }
    const err = aborted ? cancelledError(job.signal.reason) : toInfraktError(outcome.error);
    // A CANCELLED error (e.g. an executor whose own signal fired) ends the job cancelled too.
    const status = err.code === 'CANCELLED' ? 'cancelled' : 'failed';
    const stored = storedError(err, job);
    for (const s of await finalize(store, job.id, status, { now: at, error: stored }))
      emit(job.id)({ type: 'step', step: s });
    emit(job.id)({ type: 'status', status, error: stored });
  }

  /** Runs a job whose row is `queued` and ours: recovery, locks (fail fast unless asked to wait), then the body. */
  async function launch<T>(
    id: string,
    spec: JobSpec,
    planned: readonly string[],
    body: (job: JobContext) => Promise<T>,
  ): Promise<JobHandle<T>> {
    const controller = new AbortController();
    const job = new LiveJob(id, controller.signal, planned, store.db, q, now, emit(id));
    controller.signal.addEventListener('abort', () => job.log('cancel requested: stopping'), { once: true });
    const began = Date.now();
    const entry: Active = { controller, settled: Promise.resolve(), ended: false };
    active.set(id, entry);

    const fail = async (e: unknown): Promise<never> => {
      // e.g. the database stayed busy: never leave a queued job behind in a live process.
      await end(job, { ok: false, error: e }).catch(() => undefined);
      jobSettled(id);
      throw jobError(toInfraktError(e), id, job);
    };

    // Jobs of processes that died since this runner started must not block: recover them first.
    let first: Awaited<ReturnType<typeof acquire>> | null = null;
    try {
      await recovered.catch(() => undefined);
      if (spec.locks?.length) {
        const r = await recoverInterrupted(store, now());
        for (const j of r.jobs) job.log(`marked job ${j} failed: the process running it is gone`);
        for (const l of r.locks) job.log(`released stale lock ${l.name} held by ${l.holder} since ${l.acquiredAt}`);
      }
      // Fail fast on contention when not asked to wait: the caller gets LOCKED, the attempt stays on record.
      first = spec.locks?.length ? await acquire(store, spec.locks, { jobId: id, holder, now: now() }) : null;
    } catch (e) {
      return fail(e);
    }
    if (first && !first.ok && !spec.waitForLocksMs) return fail(lockedError(first.blocker!, deps.clock.now()));
    for (const l of first?.released ?? []) job.log(`released stale lock ${l.name} held by ${l.holder} (gone)`);

    const done = (async (): Promise<T> => {
      // Let the caller subscribe after `await start()` before the first event.
      await new Promise((r) => setImmediate(r));
      try {
        if (first && !first.ok) await waitForLocks(job, spec, began);
        if (controller.signal.aborted) throw cancelledError(controller.signal.reason);
        await transition(store.db, id, 'running', { started_at: now() });
        emit(id)({ type: 'status', status: 'running' });
      } catch (e) {
        await end(job, { ok: false, error: e });
        throw jobError(toInfraktError(e), id, job);
      }
      try {
        const value = await body(job);
        await end(job, { ok: true, value });
        return value;
      } catch (e) {
        await end(job, { ok: false, error: e }).catch(() => undefined);
        throw jobError(
          controller.signal.aborted ? cancelledError(controller.signal.reason) : toInfraktError(e),
          id,
          job,
        );
      }
    })();
    entry.settled = done.then(
      () => undefined,
      () => undefined,
    );
    void entry.settled.then(() => jobSettled(id));
    watchCancels();
    return { id, done };
  }

  const insertJob = (id: string, spec: JobSpec, status: 'queued' | 'approval_pending', by: string | null) => {
    const created = now();
    const planned = spec.plannedSteps ?? [];
    return store.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('jobs')
        .values({
          id,
          kind: spec.kind,
          status,
          server_id: spec.serverId ?? null,
          app_id: spec.appId ?? null,
          target: spec.target,
          params_json: JSON.stringify(spec.params ?? {}),
          actor: spec.actor ?? deps.actor,
          runner: by,
          cancel_requested: 0,
          created_at: created,
          heartbeat_at: by ? created : null,
        })
        .execute();
      if (planned.length) {
        await trx
          .insertInto('job_steps')
          .values(planned.map((name, idx) => ({ job_id: id, idx, name, status: 'pending' })))
          .execute();
      }
    });
  };

  async function start<T>(spec: JobSpec, body: (job: JobContext) => Promise<T>): Promise<JobHandle<T>> {
    checkSpec(spec);
    const id = newJobId();
    await insertJob(id, spec, 'queued', runner);
    return launch(id, spec, spec.plannedSteps ?? [], body);
  }

  async function cancel(id: string): Promise<JobRecord> {
    const row = await q.row(id);
    if (!row) return q.record(id); // throws NOT_FOUND
    if (isTerminal(row.status)) {
      throw new InfraktError(
        'STATE',
        `job ${id} has already ${row.status === 'cancelled' ? 'been cancelled' : row.status}`,
        { hint: `see it with: infrakt job show ${id}` },
      );
    }
    // Nobody runs it yet (waiting for approval or for a worker): cancelled on the spot.
    if (row.status === 'approval_pending' || (row.status === 'queued' && row.runner === null)) {
      await finalize(store, id, 'cancelled', { now: now(), error: cancelledError().toJSON() }).catch((e) => {
        if (!(e instanceof InfraktError && e.code === 'STATE')) throw e;
      });
      return q.record(id);
    }
    await store.db
      .updateTable('jobs')
      .set({ cancel_requested: 1 })
      .where('id', '=', id)
      .where('status', 'in', ['queued', 'running'])
      .execute();
    const a = active.get(id);
    if (a) {
      a.controller.abort(cancelledError());
      await Promise.race([a.settled, sleep(CANCEL_WAIT_MS)]);
    } else if (liveness(row.runner) === 'dead') {
      await interrupt(store, id, row.runner ?? 'unknown', now());
    }
    return q.record(id);
  }

  // process.exit() (e.g. a second Ctrl-C) skips every pending promise: on SQLite, record our jobs as interrupted
  // synchronously rather than leaving them for the next start to find.
  const onExit = () => {
    if (!store.raw || active.size === 0) return;
    try {
      interruptSync(store.raw, [...active.keys()], runner, now());
    } catch {
      // the store may already be closed
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
    async hold(spec) {
      checkSpec(spec);
      const id = newJobId();
      await insertJob(id, spec, 'approval_pending', null);
      return q.record(id);
    },
    async claim(opts = {}) {
      // Postgres: FOR UPDATE SKIP LOCKED lets many workers take different jobs without waiting on each other;
      // SQLite has one writer at a time, so the same UPDATE is atomic there. Either way one claimer wins a job.
      const skipLocked = store.dialect === 'postgres' ? sql` FOR UPDATE SKIP LOCKED` : sql``;
      const only = opts.id === undefined ? sql`` : sql` AND id = ${opts.id}`;
      const res = await sql<{ id: string }>`UPDATE jobs SET runner = ${runner}, heartbeat_at = ${now()}
        WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND runner IS NULL${only}
          ORDER BY created_at, id LIMIT 1${skipLocked})
        AND status = 'queued' AND runner IS NULL
        RETURNING id`.execute(store.db);
      const id = res.rows[0]?.id;
      return id ? q.record(id) : null;
    },
    async resume(id, plan) {
      const row = await q.row(id);
      if (!row) return q.record(id).then(() => never());
      const mine = row.runner === runner && row.status === 'queued';
      if (!mine) throw new InfraktError('STATE', `job ${id} is not claimed by this process (${row.status})`);
      const planned = plan.spec.plannedSteps ?? [];
      if (planned.length && (await q.steps(id)).length === 0) {
        await store.db
          .insertInto('job_steps')
          .values(planned.map((name, idx) => ({ job_id: id, idx, name, status: 'pending' })))
          .execute();
      }
      return launch(id, plan.spec, planned, plan.body);
    },
    async fail(id, error) {
      await finalize(store, id, 'failed', { now: now(), error });
      return q.record(id);
    },
    async get(id) {
      return q.record(id);
    },
    async list(opts = {}) {
      let query = store.db.selectFrom('jobs').select('id');
      if (opts.status) query = query.where('status', '=', opts.status);
      if (opts.appId !== undefined) query = query.where('app_id', '=', opts.appId);
      if (opts.serverId !== undefined) query = query.where('server_id', '=', opts.serverId);
      if (opts.serverIds) query = query.where('server_id', 'in', opts.serverIds.length ? opts.serverIds : [-1]);
      if (opts.appIds) query = query.where('app_id', 'in', opts.appIds.length ? opts.appIds : [-1]);
      const ids = await query
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(Math.max(1, Math.min(opts.limit ?? 50, 1000)))
        .execute();
      return q.records(ids.map((r) => r.id));
    },
    async logs(id, opts = {}) {
      await q.record(id);
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
      const a = active.get(id);
      if (a && !a.ended) {
        if (opts.afterId === undefined) {
          events.on(id, deliver);
          return () => events.off(id, deliver);
        }
        // Stored lines first, then what happened meanwhile (de-duplicated by id in `deliver`).
        let replaying = true;
        const held: JobEvent[] = [];
        const onEvent = (e: JobEvent) => (replaying ? held.push(e) : deliver(e));
        events.on(id, onEvent);
        void q
          .logs(id, opts.afterId, 100_000)
          .catch(() => [])
          .then((lines) => {
            for (const l of lines) deliver(l);
            replaying = false;
            for (const e of held.splice(0)) deliver(e);
          });
        return () => events.off(id, onEvent);
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

function never(): never {
  throw new Error('unreachable');
}
