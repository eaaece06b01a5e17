import type { JobContext, JobSpec } from '../../core/jobs.js';
import type { Ctx } from './context.js';

/**
 * A mutating operation, validated and ready to run as a job: entry points run it through `ctx.jobs.run`
 * (API, tests) or through the CLI's progress display (`runJob(ctx, plan.spec, plan.body, …)`).
 */
export interface JobPlan<T> {
  readonly spec: JobSpec;
  readonly body: (job: JobContext) => Promise<T>;
}

export async function runPlan<T>(ctx: Ctx, plan: JobPlan<T>): Promise<T & { jobId: string }> {
  const { jobId, result } = await ctx.jobs.run(plan.spec, plan.body);
  return { ...result, jobId };
}
