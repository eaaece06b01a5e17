import type BetterSqlite3 from 'better-sqlite3';
import { isInfraktError } from '../../core/errors.js';
import type { Db, Store } from '../store/store.js';
import { finalizeIn, type StoredError } from './finalize.js';
import { displayRunner, liveness } from './identity.js';
import { isStale, listLocks, type StoreLock } from './locks.js';

/** The running process refreshes `heartbeat_at` every HEARTBEAT_MS; silence this long means it is gone. */
export const HEARTBEAT_MS = 5_000;
export const HEARTBEAT_STALE_MS = 60_000;

export interface Recovery {
  /** Jobs marked failed with INTERRUPTED because their process is gone. */
  jobs: string[];
  /** Store locks released because their holder is gone or their job has ended. */
  locks: StoreLock[];
}

/**
 * Crash recovery, run when a runner is created and before a job takes locks: a job left queued/running
 * by a process of this host that no longer exists is marked failed (INTERRUPTED) and its locks
 * released. A job of a process we cannot check by pid (another hostname) is recovered only once
 * its heartbeat has been silent for HEARTBEAT_STALE_MS. A queued job nobody has claimed yet (runner null: an
 * approved request waiting for a worker) is not interrupted: it waits for the next worker.
 */
export async function recoverInterrupted(store: Pick<Store, 'db'>, now: string): Promise<Recovery> {
  const rows = await store.db
    .selectFrom('jobs')
    .select(['id', 'runner', 'heartbeat_at', 'created_at'])
    .where('status', 'in', ['queued', 'running'])
    .where('runner', 'is not', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  const jobs: string[] = [];
  const staleBefore = Date.parse(now) - HEARTBEAT_STALE_MS;
  for (const r of rows) {
    const state = liveness(r.runner);
    // A process we cannot check by pid (another hostname: e.g. a restarted container) is judged by its heartbeat.
    const silent = state === 'unknown' && Date.parse(r.heartbeat_at ?? r.created_at) < staleBefore;
    if (state !== 'dead' && !silent) continue;
    if (await interrupt(store, r.id, r.runner ?? 'unknown', now)) jobs.push(r.id);
  }
  const locks: StoreLock[] = [];
  for (const l of await listLocks(store.db)) {
    if (!isStale(l)) continue;
    await store.db.deleteFrom('locks').where('name', '=', l.name).where('acquired_at', '=', l.acquiredAt).execute();
    locks.push(l);
  }
  return { jobs, locks };
}

const interruptedError = (id: string, who: string): StoredError => ({
  code: 'INTERRUPTED',
  message: `job ${id} was interrupted: the process running it (${who}) is gone`,
  hint: `check the target's state (infrakt job show ${id}) and run the operation again`,
});

async function interruptIn(db: Db, id: string, who: string, now: string): Promise<void> {
  await finalizeIn(db, id, 'failed', { now, error: interruptedError(id, who) });
  await db
    .insertInto('job_logs')
    .values({
      job_id: id,
      step_idx: null,
      stream: 'info',
      line: `marked failed: the process running this job (${who}) is gone`,
      ts: now,
    })
    .execute();
}

/** Marks one job interrupted. Returns false when it already ended (another process got there first). */
export async function interrupt(store: Pick<Store, 'db'>, id: string, runner: string, now: string): Promise<boolean> {
  const who = displayRunner(runner);
  try {
    await store.db.transaction().execute((trx) => interruptIn(trx, id, who, now));
    return true;
  } catch (e) {
    if (isInfraktError(e) && e.code === 'STATE') return false;
    throw e;
  }
}

/**
 * At process.exit() no promise runs any more: SQLite's synchronous handle records this process's jobs as
 * interrupted on the spot. (On Postgres the next start's recovery does it, by pid or heartbeat.)
 */
export function interruptSync(raw: BetterSqlite3.Database, ids: readonly string[], runner: string, now: string): void {
  const who = displayRunner(runner);
  const err = (id: string) => interruptedError(id, who);
  raw
    .transaction(() => {
      for (const id of ids) {
        const e = err(id);
        const moved = raw
          .prepare(
            `UPDATE jobs SET status = 'failed', finished_at = ?, error_code = ?, error_message = ?, error_hint = ?,
             cancel_requested = 0 WHERE id = ? AND status IN ('queued', 'running')`,
          )
          .run(now, e.code, e.message, e.hint ?? null, id).changes;
        if (moved === 0) continue;
        raw
          .prepare(
            `UPDATE job_steps SET status = CASE status WHEN 'running' THEN 'failed' ELSE 'skipped' END,
             detail = COALESCE(detail, CASE status WHEN 'running' THEN 'interrupted' ELSE 'not run' END),
             finished_at = CASE status WHEN 'running' THEN ? ELSE NULL END
             WHERE job_id = ? AND status IN ('running', 'pending')`,
          )
          .run(now, id);
        raw.prepare('DELETE FROM locks WHERE job_id = ?').run(id);
        raw
          .prepare("INSERT INTO job_logs (job_id, step_idx, stream, line, ts) VALUES (?, NULL, 'info', ?, ?)")
          .run(id, `marked failed: the process running this job (${who}) is gone`, now);
      }
    })
    .immediate();
}
