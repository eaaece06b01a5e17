import { InfraktError, toInfraktError } from '../../core/errors.js';
import type { JobHandle, JobRecord } from '../../core/jobs.js';
import type { Ctx } from '../shared/context.js';
import { expireApprovals, requesterOf } from './approvals.js';
import { rebuildPlan } from './operations.js';

/**
 * Runs an approved request this process has claimed: prepared again as its requester, then run here. A request
 * that can no longer be prepared (the app is gone, the state moved) ends failed with the reason.
 */
export async function runClaimed(ctx: Ctx, job: JobRecord): Promise<JobHandle<unknown>> {
  const requester = await requesterOf(ctx, job.id);
  const as: Ctx = requester
    ? { ...ctx, principal: requester.principal, actor: requester.actor, source: requester.source }
    : ctx;
  let plan: Awaited<ReturnType<typeof rebuildPlan>>;
  try {
    plan = await rebuildPlan(as, job);
  } catch (e) {
    const err = toInfraktError(e);
    await ctx.jobs.fail(job.id, { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) });
    throw err;
  }
  return ctx.jobs.resume(job.id, plan);
}

/** Claims the approved request `id` for this process and runs it; null when another worker took it first. */
export async function claimAndRun(ctx: Ctx, id: string): Promise<JobHandle<unknown> | null> {
  const job = await ctx.jobs.claim({ id });
  return job ? runClaimed(ctx, job) : null;
}

/**
 * The worker of `infrakt serve`: expires stale requests and runs approved ones nobody runs yet. Several serve
 * processes on one Postgres each run it; a job is claimed by exactly one (FOR UPDATE SKIP LOCKED).
 */
export function startApprovalWorker(
  ctx: Ctx,
  o: { intervalMs?: number; log?: (line: string) => void } = {},
): { stop(): Promise<void>; tick(): Promise<number> } {
  let stopped = false;
  let running: Promise<number> | null = null;
  const log = o.log ?? (() => {});
  const tick = async (): Promise<number> => {
    let started = 0;
    await expireApprovals(ctx, ctx.jobs).catch((e) => log(`approval expiry failed: ${toInfraktError(e).message}`));
    // A bounded batch per tick; each job runs on its own (its outcome is recorded on the job).
    while (!stopped && started < 8) {
      const job = await ctx.jobs.claim();
      if (!job) break;
      started += 1;
      log(`running approved request ${job.id} (${job.kind} ${job.target})`);
      await runClaimed(ctx, job).then(
        (h) => void h.done.catch(() => undefined),
        (e) => log(`request ${job.id} could not run: ${e instanceof InfraktError ? e.message : String(e)}`),
      );
    }
    return started;
  };
  const timer = setInterval(() => {
    if (running || stopped) return;
    running = tick()
      .catch(() => 0)
      .finally(() => {
        running = null;
      });
  }, o.intervalMs ?? 2000);
  timer.unref();
  return {
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
