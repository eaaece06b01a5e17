// What a job printed, per step: `job logs` says which steps ran without writing anything, instead of leaving the
// reader to wonder whether output was lost.
import type { Ctx } from '../shared/context.js';

/** Indexes of the steps of a job that started and wrote no log line, in step order. */
export async function silentSteps(ctx: Pick<Ctx, 'store'>, jobId: string): Promise<number[]> {
  const rows = await ctx.store.db
    .selectFrom('job_steps as s')
    .select('s.idx')
    .where('s.job_id', '=', jobId)
    .where('s.started_at', 'is not', null)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('job_logs as l')
            .select('l.id')
            .whereRef('l.job_id', '=', 's.job_id')
            .whereRef('l.step_idx', '=', 's.idx'),
        ),
      ),
    )
    .orderBy('s.idx')
    .execute();
  return rows.map((r) => r.idx);
}
