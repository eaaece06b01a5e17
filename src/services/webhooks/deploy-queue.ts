import type { Ctx } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';

/**
 * Deploys started by pushes and polls, one app at a time: each job waits for the app's lock, and a newer push
 * replaces a deploy still waiting (its commit would be outdated before it ran). A deploy already running is
 * never interrupted.
 */
export class DeployQueue {
  private readonly waiting = new Map<number, string>();

  async enqueue<T>(ctx: Ctx, appId: number, plan: JobPlan<T>): Promise<{ jobId: string; superseded: string | null }> {
    let superseded: string | null = null;
    const prev = this.waiting.get(appId);
    if (prev) {
      // Nothing yields to the runner between this read and the cancel: a queued job stays queued meanwhile.
      const rec = await ctx.jobs.get(prev).catch(() => null);
      if (rec?.status === 'queued') {
        await ctx.jobs.cancel(prev).catch(() => undefined);
        superseded = prev;
      }
    }
    const h = await ctx.jobs.start(plan.spec, plan.body);
    this.waiting.set(appId, h.id);
    h.done
      .catch(() => undefined)
      .finally(() => {
        if (this.waiting.get(appId) === h.id) this.waiting.delete(appId);
      });
    return { jobId: h.id, superseded };
  }
}

/** Runs async sections one after another per key (e.g. two events of one pull request arriving together). */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}
