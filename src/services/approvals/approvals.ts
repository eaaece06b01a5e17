import { transition } from '../../adapters/jobs/finalize.js';
import type { ApprovalRow, PolicyRow } from '../../adapters/store/schema.js';
import type { Principal } from '../../core/access.js';
import { InfraktError, notFound } from '../../core/errors.js';
import type { JobRecord, JobSpec, Jobs } from '../../core/jobs.js';
import type { ApprovalView } from '../../core/schemas/views/team.js';
import { recordAudit } from '../audit/audit-log.js';
import { visibleJobIds } from '../jobs/job-access.js';
import { raiseEvent } from '../notifications/events.js';
import { principalOf } from '../shared/access.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import { type DiffLine, diffFor } from './diffs.js';

/** Who asked: their principal (to run the operation with their rights once approved), actor label and address. */
export interface Requester {
  principal: Principal;
  actor: string;
  source: string;
}

export function approvalPendingError(job: Pick<JobRecord, 'id' | 'kind' | 'target'>): InfraktError {
  return new InfraktError(
    'APPROVAL_PENDING',
    `${job.kind} ${job.target} needs approval: request ${job.id} waits for another admin`,
    {
      hint: `another admin approves it with: infrakt approval approve ${job.id} (see: infrakt approval list)`,
      details: { jobId: job.id },
    },
  );
}

function describePolicy(p: PolicyRow): string {
  return `${p.operation}${p.server_label ? ` on servers labelled ${p.server_label}` : ''} needs approval`;
}

/** Records the request: a job in `approval_pending` (nothing runs) and what an approver needs to decide. */
export async function requestApproval(ctx: Ctx, jobs: Jobs, spec: JobSpec, policy: PolicyRow): Promise<JobRecord> {
  const principal = principalOf(ctx);
  const diff = await diffFor(ctx, spec);
  const held = await jobs.hold({ ...spec, actor: ctx.actor });
  const requester: Requester = { principal, actor: ctx.actor, source: ctx.source ?? 'local' };
  const expiresAt = new Date(ctx.clock.now().getTime() + policy.expires_after_s * 1000).toISOString();
  await ctx.store.db
    .insertInto('approvals')
    .values({
      job_id: held.id,
      operation: spec.kind,
      requested_by: principal.id,
      requester_json: JSON.stringify(requester),
      policy: describePolicy(policy),
      diff_json: JSON.stringify(diff),
      expires_at: expiresAt,
      decided_by: null,
      decided_at: null,
      decision: null,
      comment: null,
    })
    .execute();
  await recordAudit(ctx, {
    action: 'approval.request',
    target: held.target,
    params: { job: held.id, operation: spec.kind },
  });
  // Admins learn of it on their channels (issue 16's outbox: `infrakt serve` delivers and retries). The diff is
  // what the inbox shows, never a secret (env values are not in it).
  const { eventId } = await raiseEvent(ctx, {
    type: 'approval.requested',
    subject: held.target,
    text: `${principal.name} asks to ${spec.kind} ${held.target}: another admin approves with infrakt approval approve ${held.id}`,
    data: {
      job: held.id,
      operation: spec.kind,
      target: held.target,
      requestedBy: principal.name,
      policy: describePolicy(policy),
      expiresAt,
      diff,
    },
  });
  ctx.onEventRaised?.(eventId);
  return held;
}

function toView(
  a: ApprovalRow,
  job: { status: string; target: string; created_at: string; actor: string },
): ApprovalView {
  const state = a.decision ?? 'pending';
  return {
    jobId: a.job_id,
    operation: a.operation,
    target: job.target,
    state: state === 'approved' || state === 'rejected' || state === 'expired' ? state : 'pending',
    jobStatus: job.status,
    requestedBy: (JSON.parse(a.requester_json) as Requester).principal.name,
    requestedAt: job.created_at,
    expiresAt: a.expires_at,
    policy: a.policy,
    diff: JSON.parse(a.diff_json) as DiffLine[],
    decidedBy: a.decided_by,
    decidedAt: a.decided_at,
    comment: a.comment,
  };
}

const withJob = (ctx: Ctx) =>
  ctx.store.db
    .selectFrom('approvals')
    .innerJoin('jobs', 'jobs.id', 'approvals.job_id')
    .selectAll('approvals')
    .select(['jobs.status', 'jobs.target', 'jobs.created_at', 'jobs.actor']);

/** Pending requests past their expiry are rejected (`expired`): they never run. */
export async function expireApprovals(ctx: Ctx, jobs: Jobs): Promise<string[]> {
  const now = nowIso(ctx);
  const due = await withJob(ctx)
    .where('jobs.status', '=', 'approval_pending')
    .where('approvals.expires_at', '<=', now)
    .execute();
  const expired: string[] = [];
  for (const a of due) {
    if (await decide(ctx, jobs, a.job_id, 'expired', null, null)) expired.push(a.job_id);
  }
  return expired;
}

/** `approval list`: pending requests (all with `all`), newest first; scoped users see their servers' only. */
export async function listApprovals(ctx: Ctx, jobs: Jobs, opts: { all?: boolean } = {}): Promise<ApprovalView[]> {
  await expireApprovals(ctx, jobs);
  let q = withJob(ctx);
  if (!opts.all) q = q.where('approvals.decision', 'is', null);
  const rows = await q.orderBy('jobs.created_at', 'desc').limit(500).execute();
  const visible = await visibleJobIds(
    ctx,
    rows.map((r) => r.job_id),
  );
  return rows.filter((r) => visible.has(r.job_id)).map((r) => toView(r, r));
}

export async function getApproval(ctx: Ctx, jobs: Jobs, jobId: string): Promise<ApprovalView> {
  await expireApprovals(ctx, jobs);
  const row = await withJob(ctx).where('approvals.job_id', '=', jobId).executeTakeFirst();
  if (!row || !(await visibleJobIds(ctx, [jobId])).has(jobId))
    throw notFound('approval request', jobId, 'see: infrakt approval list');
  return toView(row, row);
}

/**
 * Moves a pending request on, once: approved → the job becomes `queued` for a worker to claim and run;
 * rejected/expired → the job ends `rejected` and never runs. False when someone else decided first.
 */
async function decide(
  ctx: Ctx,
  jobs: Jobs,
  jobId: string,
  decision: 'approved' | 'rejected' | 'expired',
  by: string | null,
  comment: string | null,
): Promise<boolean> {
  const now = nowIso(ctx);
  const moved = await ctx.store.db.transaction().execute(async (trx) => {
    // The job state machine (core/lifecycle/job-states.ts) decides: only a pending request moves, once.
    try {
      await transition(
        trx,
        jobId,
        decision === 'approved' ? 'queued' : 'rejected',
        decision === 'approved' ? {} : { finished_at: now },
      );
    } catch (e) {
      if (e instanceof InfraktError && e.code === 'STATE') return false;
      throw e;
    }
    if (decision !== 'approved') {
      await trx
        .updateTable('jobs')
        .set({
          error_code: decision === 'expired' ? 'APPROVAL_EXPIRED' : 'REJECTED',
          error_message:
            decision === 'expired'
              ? 'the request expired before anyone approved it'
              : `rejected by ${by}${comment ? `: ${comment}` : ''}`,
        })
        .where('id', '=', jobId)
        .execute();
    }
    if (decision !== 'approved') {
      await trx
        .updateTable('job_steps')
        .set({ status: 'skipped', detail: decision === 'expired' ? 'request expired' : 'request rejected' })
        .where('job_id', '=', jobId)
        .where('status', '=', 'pending')
        .execute();
    }
    await trx
      .updateTable('approvals')
      .set({ decision, decided_by: by, decided_at: now, comment })
      .where('job_id', '=', jobId)
      .execute();
    return true;
  });
  if (moved) {
    const job = await jobs.get(jobId);
    await recordAudit(ctx, {
      action: `approval.${decision === 'approved' ? 'approve' : decision === 'rejected' ? 'reject' : 'expire'}`,
      target: job.target,
      params: { job: jobId, operation: job.kind, ...(comment ? { comment } : {}) },
      ...(decision === 'expired' ? { actor: { kind: 'system', name: 'approval expiry' } } : {}),
    });
  }
  return moved;
}

async function pendingRow(ctx: Ctx, jobs: Jobs, jobId: string) {
  await expireApprovals(ctx, jobs);
  const row = await withJob(ctx).where('approvals.job_id', '=', jobId).executeTakeFirst();
  if (!row) throw notFound('approval request', jobId, 'see: infrakt approval list');
  if (row.status !== 'approval_pending') {
    throw new InfraktError('STATE', `request ${jobId} is no longer pending (${row.decision ?? row.status})`, {
      hint: `see it with: infrakt job show ${jobId}`,
    });
  }
  return row;
}

/** `approval approve`: another admin's yes. The requester cannot approve their own request. */
export async function approveRequest(ctx: Ctx, jobs: Jobs, jobId: string, comment?: string): Promise<JobRecord> {
  const row = await pendingRow(ctx, jobs, jobId);
  const me = principalOf(ctx);
  if (row.requested_by === me.id) {
    throw new InfraktError('FORBIDDEN', `you cannot approve your own request (${jobId})`, {
      hint: 'another admin must approve it',
    });
  }
  if (!(await decide(ctx, jobs, jobId, 'approved', me.name, comment ?? null))) {
    throw new InfraktError('STATE', `request ${jobId} was decided by someone else meanwhile`);
  }
  return jobs.get(jobId);
}

/** `approval reject`: the request ends `rejected` and never runs (the requester may withdraw their own). */
export async function rejectRequest(ctx: Ctx, jobs: Jobs, jobId: string, comment?: string): Promise<JobRecord> {
  await pendingRow(ctx, jobs, jobId);
  if (!(await decide(ctx, jobs, jobId, 'rejected', principalOf(ctx).name, comment ?? null))) {
    throw new InfraktError('STATE', `request ${jobId} was decided by someone else meanwhile`);
  }
  return jobs.get(jobId);
}

export async function requesterOf(ctx: Ctx, jobId: string): Promise<Requester | null> {
  const row = await ctx.store.db
    .selectFrom('approvals')
    .select('requester_json')
    .where('job_id', '=', jobId)
    .executeTakeFirst();
  return row ? (JSON.parse(row.requester_json) as Requester) : null;
}
