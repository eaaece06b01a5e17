import type { JobStatus } from '../schemas/views/jobs.js';

/**
 * The job state machine, the one table every writer checks (the runner, approvals, crash recovery):
 * a request needing approval waits in `approval_pending` until another admin approves it (→ `queued`, then run)
 * or rejects it, or it expires (→ `rejected`, never run).
 */
export const JOB_TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  approval_pending: ['queued', 'rejected', 'cancelled'],
  queued: ['running', 'failed', 'cancelled'],
  running: ['succeeded', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
  rejected: [],
};

export const TERMINAL_JOB_STATUSES: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled', 'rejected']);

export const isTerminalJob = (s: string): boolean => TERMINAL_JOB_STATUSES.has(s as JobStatus);

/** The statuses a job may be in for a move to `to` (the guard of a conditional UPDATE). */
export function jobStatusesLeadingTo(to: JobStatus): JobStatus[] {
  return (Object.keys(JOB_TRANSITIONS) as JobStatus[]).filter((from) => JOB_TRANSITIONS[from].includes(to));
}
