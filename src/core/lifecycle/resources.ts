import { InfraktError } from '../errors.js';
import type { JobStatus } from '../schemas/views/jobs.js';

/**
 * The resource state machine of servers, apps and databases. `state` is where the resource is in its life, moved
 * only by operations (the table below, checked in one place before any job is recorded: services/lifecycle);
 * `status` is what its latest operation is doing, read from that job (statusOfJob).
 */
export const RESOURCE_STATES = ['provision', 'provisioned', 'destroy', 'destroyed'] as const;
export type ResourceState = (typeof RESOURCE_STATES)[number];

export const RESOURCE_STATUSES = [
  'ready',
  'queued',
  'in_progress',
  'done',
  'error',
  'approval_pending',
  'pending',
  'rejected',
  'unknown',
] as const;
export type ResourceStatus = (typeof RESOURCE_STATUSES)[number];

export type ResourceKind = 'server' | 'app' | 'database';

export interface Lifecycle {
  state: ResourceState;
  status: ResourceStatus;
}

/** What an operation does to its resource: the states it may start from, the state while it runs, after success. */
export interface Move {
  readonly resource: ResourceKind;
  readonly from: readonly ResourceState[];
  readonly during?: ResourceState;
  readonly to?: ResourceState;
}

const LIVE: readonly ResourceState[] = ['provision', 'provisioned'];
const DEPLOYED: readonly ResourceState[] = ['provisioned'];
const DESTROYABLE: readonly ResourceState[] = ['provision', 'provisioned', 'destroy'];

/** Every operation (job kind) on a resource. A half-done destroy leaves `destroy`: only destroy may follow. */
export const TRANSITIONS: Readonly<Record<string, Move>> = {
  'server.provision': { resource: 'server', from: LIVE, to: 'provisioned' },
  'server.provision.dry-run': { resource: 'server', from: LIVE },
  'server.remove': { resource: 'server', from: LIVE, during: 'destroy', to: 'destroyed' },
  'server.exec': { resource: 'server', from: LIVE },
  'proxy.setup': { resource: 'server', from: LIVE },
  'proxy.reload': { resource: 'server', from: LIVE },
  'proxy.add': { resource: 'server', from: LIVE },
  'proxy.remove': { resource: 'server', from: LIVE },
  'catalog.host-install': { resource: 'server', from: LIVE },
  'catalog.host-uninstall': { resource: 'server', from: LIVE },
  'app.deploy': { resource: 'app', from: LIVE, to: 'provisioned' },
  'app.rollback': { resource: 'app', from: DEPLOYED },
  'app.restart': { resource: 'app', from: DEPLOYED },
  'app.stop': { resource: 'app', from: DEPLOYED },
  'app.auth': { resource: 'app', from: LIVE },
  'env.push': { resource: 'app', from: DEPLOYED },
  'app.destroy': { resource: 'app', from: DESTROYABLE, during: 'destroy', to: 'destroyed' },
  'catalog.install': { resource: 'app', from: LIVE, to: 'provisioned' },
  'catalog.upgrade': { resource: 'app', from: DEPLOYED, to: 'provisioned' },
  'db.create': { resource: 'database', from: ['provision'], to: 'provisioned' },
  'db.backup': { resource: 'database', from: DEPLOYED },
  'db.restore': { resource: 'database', from: DEPLOYED },
  'db.schedule': { resource: 'database', from: DEPLOYED },
  'db.unschedule': { resource: 'database', from: LIVE },
  'db.destroy': { resource: 'database', from: DESTROYABLE, during: 'destroy', to: 'destroyed' },
};

/** An operation not in the table (e.g. one added later) may act on anything that is not being destroyed. */
export function moveOf(kind: string, resource: ResourceKind): Move {
  return TRANSITIONS[kind] ?? { resource, from: LIVE };
}

/** The operations that may act on a resource of this kind in this state. */
export function allowedFrom(resource: ResourceKind, state: ResourceState): string[] {
  return Object.entries(TRANSITIONS)
    .filter(([, m]) => m.resource === resource && m.from.includes(state))
    .map(([k]) => k);
}

/** Refuses an operation the resource's state does not allow: STATE, naming the allowed next steps. */
export function checkTransition(
  resource: ResourceKind,
  name: string,
  current: Lifecycle,
  kind: string,
): { during?: ResourceState; to?: ResourceState } {
  const move = moveOf(kind, resource);
  if (move.from.includes(current.state)) return { during: move.during, to: move.to };
  const next = allowedFrom(resource, current.state);
  throw new InfraktError(
    'STATE',
    `${resource} ${name} is in state ${current.state} (status ${current.status}): ${kind} is not allowed`,
    {
      hint: next.length ? `allowed next: ${next.join(', ')}` : 'nothing can be done with it any more',
      details: { state: current.state, status: current.status, operation: kind, allowed: next },
    },
  );
}

/** A resource's status from its latest job (none: ready). */
export function statusOfJob(
  job: { status: JobStatus | string; runner: string | null; error_code: string | null } | undefined,
): ResourceStatus {
  if (!job) return 'ready';
  switch (job.status) {
    case 'approval_pending':
      return 'approval_pending';
    case 'queued':
      // Claimed but waiting (for a lock held by another job): pending; nobody runs it yet: queued.
      return job.runner === null ? 'queued' : 'pending';
    case 'running':
      return 'in_progress';
    case 'succeeded':
      return 'done';
    case 'rejected':
      return 'rejected';
    case 'cancelled':
      return 'ready';
    case 'failed':
      // The process running it died: what happened on the server is not known.
      return job.error_code === 'INTERRUPTED' ? 'unknown' : 'error';
    default:
      return 'unknown';
  }
}
