import type { JobContext, JobHandle, JobSpec, Jobs } from '../../core/jobs.js';
import { approvalPendingError } from '../approvals/approvals.js';
import type { Ctx } from '../shared/context.js';
import { type Admission, admit } from './gate.js';
import { admitTransition, setState } from './lifecycle.js';

/** Each governed runner's inner runner. */
const ungoverned = new WeakMap<Jobs, Jobs>();

/**
 * The job runner as the faces hand it to services: every job goes through the gate first (state machine, approval
 * policies), and the body moves its resource's state (e.g. `destroy` while a destroy runs, `provisioned` once a
 * deploy succeeded). A held request's handle rejects with APPROVAL_PENDING at once; the API answers 202 with it.
 */
export function governedJobs(given: Jobs, ctxOf: () => Ctx): Jobs {
  // Governing a governed runner for another principal (actingAs) re-governs the runner inside: one admission.
  const inner = ungoverned.get(given) ?? given;
  const moving =
    <T>(a: Pick<Admission, 'resource' | 'during' | 'to'>, body: (job: JobContext) => Promise<T>) =>
    async (job: JobContext): Promise<T> => {
      const ctx = ctxOf();
      if (a.resource) await setState(ctx, a.resource, a.during);
      const value = await body(job);
      if (a.resource) await setState(ctx, a.resource, a.to);
      return value;
    };

  async function start<T>(spec: JobSpec, body: (job: JobContext) => Promise<T>): Promise<JobHandle<T>> {
    const a = await admit(ctxOf(), inner, spec);
    if (a.held) {
      const done = Promise.reject(approvalPendingError(a.held));
      done.catch(() => undefined);
      return { id: a.held.id, done };
    }
    return inner.start(spec, moving(a, body));
  }

  const governed: Jobs = {
    ...inner,
    start,
    async run(spec, body) {
      const h = await start(spec, body);
      return { jobId: h.id, result: await h.done };
    },
    /** An approved request: its state is checked again (it may have moved while the request waited). */
    async resume(id, plan) {
      let t: Awaited<ReturnType<typeof admitTransition>>;
      try {
        t = await admitTransition(ctxOf(), plan.spec);
      } catch (e) {
        const err = e as { code?: string; message?: string; hint?: string };
        await inner.fail(id, {
          code: err.code ?? 'INTERNAL',
          message: err.message ?? String(e),
          ...(err.hint ? { hint: err.hint } : {}),
        });
        throw e;
      }
      const a = { resource: t?.resource ?? null, during: t?.during, to: t?.to };
      return inner.resume(id, { spec: plan.spec, body: moving(a, plan.body) });
    },
  };
  ungoverned.set(governed, inner);
  return governed;
}
