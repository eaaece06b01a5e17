import type BetterSqlite3 from 'better-sqlite3';
import { isInfraktError } from '../../core/errors.js';
import { finalize } from './finalize.js';
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
 * its heartbeat has been silent for HEARTBEAT_STALE_MS.
 */
export function recoverInterrupted(raw: BetterSqlite3.Database, now: string): Recovery {
  const rows = raw
    .prepare(
      "SELECT id, runner, heartbeat_at, created_at FROM jobs WHERE status IN ('queued', 'running') ORDER BY created_at, id",
    )
    .all() as { id: string; runner: string | null; heartbeat_at: string | null; created_at: string }[];
  const jobs: string[] = [];
  const staleBefore = Date.parse(now) - HEARTBEAT_STALE_MS;
  for (const r of rows) {
    const state = liveness(r.runner);
    // A process we cannot check by pid (another hostname: e.g. a restarted container) is judged by its heartbeat.
    const silent = state === 'unknown' && Date.parse(r.heartbeat_at ?? r.created_at) < staleBefore;
    if (state !== 'dead' && !silent) continue;
    if (interrupt(raw, r.id, r.runner ?? 'unknown', now)) jobs.push(r.id);
  }
  const locks: StoreLock[] = [];
  for (const l of listLocks(raw)) {
    if (!isStale(l)) continue;
    raw.prepare('DELETE FROM locks WHERE name = ? AND acquired_at = ?').run(l.name, l.acquiredAt);
    locks.push(l);
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
