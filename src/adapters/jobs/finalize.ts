import { InfraktError } from '../../core/errors.js';
import type { JobStatus, JobStep } from '../../core/jobs.js';
import { jobStatusesLeadingTo } from '../../core/lifecycle/job-states.js';
import type { Db, Store } from '../store/store.js';
import { releaseJobLocks } from './locks.js';
import { toStep } from './rows.js';

export interface StoredError {
  code: string;
  message: string;
  hint?: string | undefined;
}

/**
 * Moves a job to another status if the state machine allows it, in one conditional UPDATE (another process may
 * have moved it meanwhile: then STATE is raised and nothing is written).
 */
export async function transition(
  db: Db,
  id: string,
  to: JobStatus,
  fields: { started_at?: string; finished_at?: string; runner?: string } = {},
): Promise<void> {
  const res = await db
    .updateTable('jobs')
    .set({ status: to, ...fields })
    .where('id', '=', id)
    .where('status', 'in', jobStatusesLeadingTo(to))
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) > 0) return;
  const row = await db.selectFrom('jobs').select('status').where('id', '=', id).executeTakeFirst();
  if (!row) throw new InfraktError('NOT_FOUND', `job '${id}' not found`);
  throw new InfraktError('STATE', `job ${id} cannot go from ${row.status} to ${to}`);
}

export type FinalStatus = Exclude<JobStatus, 'queued' | 'running' | 'approval_pending'>;

/**
 * Ends a job inside the caller's transaction: checked transition to a terminal status, error or result stored, steps
 * left open closed (running → failed/cancelled, pending → skipped/cancelled), and its store locks released, so a
 * crash can't leave an ended job holding a lock. Returns the steps it changed.
 */
export async function finalizeIn(
  db: Db,
  id: string,
  to: FinalStatus,
  opts: { now: string; error?: StoredError | null; resultJson?: string | null },
): Promise<JobStep[]> {
  await transition(db, id, to, { finished_at: opts.now });
  const e = opts.error ?? null;
  await db
    .updateTable('jobs')
    .set({
      error_code: e?.code ?? null,
      error_message: e?.message ?? null,
      error_hint: e?.hint ?? null,
      result_json: opts.resultJson ?? null,
      cancel_requested: 0,
    })
    .where('id', '=', id)
    .execute();
  const open = await db
    .selectFrom('job_steps')
    .selectAll()
    .where('job_id', '=', id)
    .where('status', 'in', ['running', 'pending'])
    .orderBy('idx')
    .execute();
  const changed: JobStep[] = [];
  for (const s of open) {
    const running = s.status === 'running';
    const status = to === 'cancelled' ? 'cancelled' : running ? 'failed' : 'skipped';
    const detail = s.detail ?? (running ? (e?.code === 'INTERRUPTED' ? 'interrupted' : null) : 'not run');
    const finished = running ? opts.now : null;
    await db.updateTable('job_steps').set({ status, detail, finished_at: finished }).where('id', '=', s.id).execute();
    changed.push(toStep({ ...s, status, detail, finished_at: finished }));
  }
  await releaseJobLocks(db, id);
  return changed;
}

/** finalizeIn in a transaction of its own. */
export function finalize(
  store: Pick<Store, 'db'>,
  id: string,
  to: FinalStatus,
  opts: { now: string; error?: StoredError | null; resultJson?: string | null },
): Promise<JobStep[]> {
  return store.db.transaction().execute((trx) => finalizeIn(trx, id, to, opts));
}
