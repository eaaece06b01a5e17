import type { JobContext, JobHandle, JobSpec, Jobs } from '../../core/jobs.js';
import { moveOf, TRANSITIONS } from '../../core/lifecycle/resources.js';
import { approvalPendingError } from '../approvals/approvals.js';
import type { Ctx } from '../shared/context.js';
import { type Admission, admit } from './gate.js';
import { admitTransition, appCreatedBy, resourceOfSpec, setState } from './lifecycle.js';

/** Each governed runner's inner runner. */
const ungoverned = new WeakMap<Jobs, Jobs>();

type Moves = Pick<Admission, 'resource' | 'during' | 'to'>;

/** Wraps a job body so that it moves its resource's state: `during` before it acts, `to` once it succeeded. */
const movingWith =
  (ctxOf: () => Ctx) =>
  <T>(spec: JobSpec, a: Moves, body: (job: JobContext) => Promise<T>) =>
  async (job: JobContext): Promise<T> => {
    const ctx = ctxOf();
    // An app operation admitted on its server (its job creates the app) moves the app it created, not the server.
    const declared = TRANSITIONS[spec.kind]?.resource;
    const own = a.resource && !(a.resource.kind === 'server' && declared && declared !== 'server') ? a.resource : null;
    if (own) await setState(ctx, own, a.during);
    const value = await body(job);
    const moved = own ?? (a.to ? await appCreatedBy(ctx, spec) : null);
    if (moved) await setState(ctx, moved, a.to);
    return value;
  };

/**
 * The job runner as the faces hand it to services: every job goes through the gate first (state machine, approval
 * policies), and the body moves its resource's state (e.g. `destroy` while a destroy runs, `provisioned` once a
 * deploy succeeded). A held request's handle rejects with APPROVAL_PENDING at once; the API answers 202 with it.
 */
export function governedJobs(given: Jobs, ctxOf: () => Ctx): Jobs {
  // Governing a governed runner for another principal (actingAs) re-governs the runner inside: one admission.
  const inner = ungoverned.get(given) ?? given;
  const moving = movingWith(ctxOf);

  async function start<T>(spec: JobSpec, body: (job: JobContext) => Promise<T>): Promise<JobHandle<T>> {
    const a = await admit(ctxOf(), inner, spec);
    if (a.held) {
      const done = Promise.reject(approvalPendingError(a.held));
      done.catch(() => undefined);
      return { id: a.held.id, done };
    }
    return inner.start(spec, moving(spec, a, body));
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
      return inner.resume(id, { spec: plan.spec, body: moving(plan.spec, a, plan.body) });
    },
  };
  ungoverned.set(governed, inner);
  return governed;
}

/**
 * The local CLI's runner: the machine's own user holds the database and the master key, so its jobs pass no gate,
 * but they move resource states all the same — an app deployed from the CLI is `provisioned`, and the dashboard may
 * then restart or roll it back.
 */
export function stateTrackingJobs<J extends Jobs>(given: J, ctxOf: () => Ctx): J {
  const moving = movingWith(ctxOf);
  async function start<T>(spec: JobSpec, body: (job: JobContext) => Promise<T>): Promise<JobHandle<T>> {
    const resource = await resourceOfSpec(ctxOf(), spec);
    const move = resource ? moveOf(spec.kind, resource.kind) : null;
    return given.start(spec, moving(spec, { resource, during: move?.during, to: move?.to }, body));
  }
  const run: Jobs['run'] = async (spec, body) => {
    const h = await start(spec, body);
    return { jobId: h.id, result: await h.done };
  };
  return { ...given, start, run };
}
