import type { Jobs } from '../core/jobs.js';
import type { Ctx } from '../services/context.js';

export type Started<T> = { kind: 'job'; jobId: string } | { kind: 'done'; result: T };

/**
 * Runs a service call the way the API needs it: the HTTP answer goes out as soon as the service
 * has started its job (202 + job id) while the job keeps running in this process. Errors thrown
 * before a job exists (validation, not found, LOCKED) still reach the caller as real statuses.
 *
 * Services written for the CLI `await ctx.jobs.run(...)`; here `run` is `start` + await, which
 * lets us learn the job id at once without any API-specific variant of each service.
 */
export function startJob<T>(
  ctx: Ctx,
  call: (ctx: Ctx) => Promise<T>,
  onBackgroundError: (e: unknown) => void,
): Promise<Started<T>> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const announce = (id: string) => {
      if (answered) return;
      answered = true;
      resolve({ kind: 'job', jobId: id });
    };
    const inner = ctx.jobs;
    const jobs: Jobs = {
      ...inner,
      start: async (spec, body) => {
        const h = await inner.start(spec, body);
        announce(h.id);
        return h;
      },
      run: async (spec, body) => {
        const h = await inner.start(spec, body);
        announce(h.id);
        return { jobId: h.id, result: await h.done };
      },
    };
    call({ ...ctx, jobs }).then(
      (result) => {
        if (answered) return;
        answered = true;
        resolve({ kind: 'done', result });
      },
      (e: unknown) => {
        if (!answered) {
          answered = true;
          reject(e);
          return;
        }
        // The job has recorded its own failure; this only reports errors raised after it.
        onBackgroundError(e);
      },
    );
  });
}
