import type BetterSqlite3 from 'better-sqlite3';
import { isInfraktError } from '../../core/errors.js';
import { finalize } from './finalize.js';
import { displayRunner, liveness } from './identity.js';
import { isStale, listLocks } from './locks.js';

export interface Recovery {
  /** Jobs marked failed with INTERRUPTED because their process is gone. */
  jobs: string[];
  /** Store locks released because their holder is gone or their job has ended. */
  locks: string[];
}

/**
 * Crash recovery, run when a runner is created: a job left queued/running by a process of this
 * host that no longer exists is marked failed (INTERRUPTED) and its locks released. Jobs of other
 * hosts are left alone: we cannot tell whether they still run.
 */
export function recoverInterrupted(raw: BetterSqlite3.Database, now: string): Recovery {
  const rows = raw
    .prepare("SELECT id, runner FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at, id")
    .all() as {
    id: string;
    runner: string | null;
  }[];
  const jobs: string[] = [];
  for (const r of rows) {
    if (liveness(r.runner) !== 'dead') continue;
    if (interrupt(raw, r.id, r.runner ?? 'unknown', now)) jobs.push(r.id);
  }
  const locks: string[] = [];
  for (const l of listLocks(raw)) {
    if (!isStale(l)) continue;
    raw.prepare('DELETE FROM locks WHERE name = ? AND acquired_at = ?').run(l.name, l.acquiredAt);
    locks.push(l.name);
  }
  return { jobs, locks };
}

/** Marks one job interrupted. Returns false when it already ended (another process got there first). */
export function interrupt(raw: BetterSqlite3.Database, id: string, runner: string, now: string): boolean {
  const who = displayRunner(runner);
  try {
    raw
      .transaction(() => {
        finalize(raw, id, 'failed', {
          now,
          error: {
            code: 'INTERRUPTED',
            message: `job ${id} was interrupted: the process running it (${who}) is gone`,
            hint: `check the target's state (infrakt job show ${id}) and run the operation again`,
          },
        });
        raw
          .prepare("INSERT INTO job_logs (job_id, step_idx, stream, line, ts) VALUES (?, NULL, 'info', ?, ?)")
          .run(id, `marked failed: the process running this job (${who}) is gone`, now);
      })
      .immediate();
    return true;
  } catch (e) {
    if (isInfraktError(e) && e.code === 'STATE') return false;
    throw e;
  }
}
