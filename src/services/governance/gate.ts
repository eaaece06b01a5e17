import type { JobRecord, JobSpec, Jobs } from '../../core/jobs.js';
import type { ResourceState } from '../../core/lifecycle/resources.js';
import { approvalPendingError, requestApproval } from '../approvals/approvals.js';
import { isApprovalOperation } from '../approvals/diffs.js';
import { policyFor } from '../approvals/policies.js';
import type { Ctx } from '../shared/context.js';
import { admitTransition, type Resource } from './lifecycle.js';

export interface Admission {
  /** Set when a policy asks for approval: the request was recorded and nothing runs now. */
  held: JobRecord | null;
  resource: Resource | null;
  during?: ResourceState | undefined;
  to?: ResourceState | undefined;
}

/**
 * Every operation on a resource passes here before anything is recorded: the resource's state must allow it
 * (STATE otherwise, with the allowed next steps), and when a policy asks for approval the request is held
 * (`approval_pending`) instead of run.
 */
export async function admit(ctx: Ctx, jobs: Jobs, spec: JobSpec): Promise<Admission> {
  const t = await admitTransition(ctx, spec);
  const base = { resource: t?.resource ?? null, during: t?.during, to: t?.to };
  if (!isApprovalOperation(spec.kind)) return { held: null, ...base };
  const server = spec.serverId
    ? await ctx.store.db.selectFrom('servers').selectAll().where('id', '=', spec.serverId).executeTakeFirst()
    : undefined;
  const policy = await policyFor(ctx, spec.kind, server ?? null);
  if (!policy) return { held: null, ...base };
  return { held: await requestApproval(ctx, jobs, spec, policy), ...base };
}

/** For an operation that is not a job (server remove): admitted, or APPROVAL_PENDING naming the held request. */
export async function admitLocal(ctx: Ctx, spec: JobSpec): Promise<void> {
  const a = await admit(ctx, ctx.jobs, spec);
  if (a.held) throw approvalPendingError(a.held);
}
