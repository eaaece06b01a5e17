import type BetterSqlite3 from 'better-sqlite3';
import { InfraktError } from '../../core/errors.js';
import type { JobStatus, JobStep } from '../../core/jobs.js';
import type { JobRow, JobStepRow } from '../store/schema.js';
import { releaseJobLocks } from './locks.js';
import { TRANSITIONS, toStep } from './rows.js';

export interface StoredError {
  code: string;
  message: string;
  hint?: string | undefined;
}

/**
 * Moves a job to another status if the state machine allows it, atomically with the current status
 * (another process may have moved it meanwhile: then STATE is raised and nothing is written).
 */
export function transition(
  raw: BetterSqlite3.Database,
  id: string,
  to: JobStatus,
  fields: { started_at?: string; finished_at?: string } = {},
): void {
  raw
    .transaction(() => {
      const row = raw.prepare('SELECT status FROM jobs WHERE id = ?').get(id) as Pick<JobRow, 'status'> | undefined;
      if (!row) throw new InfraktError('NOT_FOUND', `job '${id}' not found`);
      const from = row.status as JobStatus;
      if (!TRANSITIONS[from]?.includes(to)) {
        throw new InfraktError('STATE', `job ${id} cannot go from ${from} to ${to}`);
      }
      raw
        .prepare(
          'UPDATE jobs SET status = ?, started_at = COALESCE(?, started_at), finished_at = COALESCE(?, finished_at) WHERE id = ? AND status = ?',
        )
        .run(to, fields.started_at ?? null, fields.finished_at ?? null, id, from);
    })
    .immediate();
}

/**
 * Ends a job: checked transition to a terminal status, error or result stored, steps left open closed
 * (running → failed/cancelled, pending → skipped/cancelled), and its store locks released — all in one
 * transaction so a crash can't leave an ended job holding a lock. Returns the steps it changed.
 */
export function finalize(
  raw: BetterSqlite3.Database,
  id: string,
  to: Exclude<JobStatus, 'queued' | 'running'>,
  opts: { now: string; error?: StoredError | null; resultJson?: string | null },
): JobStep[] {
  return raw
    .transaction((): JobStep[] => {
      transition(raw, id, to, { finished_at: opts.now });
      const e = opts.error ?? null;
      raw
        .prepare(
          'UPDATE jobs SET error_code = ?, error_message = ?, error_hint = ?, result_json = ?, cancel_requested = 0 WHERE id = ?',
        )
        .run(e?.code ?? null, e?.message ?? null, e?.hint ?? null, opts.resultJson ?? null, id);
      const open = raw
        .prepare("SELECT * FROM job_steps WHERE job_id = ? AND status IN ('running', 'pending') ORDER BY idx")
        .all(id) as JobStepRow[];
      const upd = raw.prepare('UPDATE job_steps SET status = ?, detail = ?, finished_at = ? WHERE id = ?');
      const changed: JobStep[] = [];
      for (const s of open) {
        const running = s.status === 'running';
        const status = to === 'cancelled' ? 'cancelled' : running ? 'failed' : 'skipped';
        const detail = s.detail ?? (running ? (e?.code === 'INTERRUPTED' ? 'interrupted' : null) : 'not run');
        const finished = running ? opts.now : null;
        upd.run(status, detail, finished, s.id);
        changed.push(toStep({ ...s, status, detail, finished_at: finished }));
      }
      releaseJobLocks(raw, id);
      return changed;
    })
    .immediate();
}
