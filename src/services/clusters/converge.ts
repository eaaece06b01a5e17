import * as swarm from '../../core/commands/swarm.js';
import { InfraktError } from '../../core/errors.js';
import type { Executor } from '../../core/executor.js';
import type { StepHandle } from '../../core/jobs.js';

export interface ConvergeOptions {
  service: string;
  replicas: number;
  /** `UpdateStatus.StartedAt` before the change: a different value means Swarm started a rollout for it. */
  before: string | null;
  /** The change is a rolling update (deploy of an existing service), not a create or a scale. */
  expectUpdate: boolean;
  timeoutMs: number;
  signal: AbortSignal;
  pollMs?: number;
}

export interface Converged {
  state: swarm.ServiceState;
  /** Node hostname -> running (healthy) replicas of the service's current spec. */
  perNode: Record<string, number>;
}

const isRunning = (t: swarm.ServiceTask) => t.desiredState === 'Running' && t.currentState.startsWith('Running');
const failedTask = (t: swarm.ServiceTask) =>
  /^(Failed|Rejected)/.test(t.currentState) || (t.error && t.desiredState === 'Shutdown');

/**
 * Follows a rollout with `docker service inspect` + `docker service ps` (one round trip a poll) until every
 * replica of the current spec runs healthy (Swarm reports a task Running only once its health check passes)
 * and no task of an older image is still wanted. Progress goes to the step log whenever it changes. When
 * Swarm rolls back (failure_action rollback), the failed tasks' errors are logged, the rollback is followed
 * to its end, and the step fails with HEALTH_CHECK_FAILED: the previous release is what serves.
 */
export async function followConvergence(ex: Executor, s: StepHandle, o: ConvergeOptions): Promise<Converged> {
  const deadline = Date.now() + o.timeoutMs;
  let last = '';
  let lastState: swarm.ServiceState | null = null;
  for (;;) {
    const r = await ex.run(swarm.serviceState(o.service), { signal: o.signal, timeoutMs: 60_000 });
    if (r.exitCode === 0) {
      const st = swarm.parseServiceState(r.stdout);
      lastState = st;
      const fresh = st.updateStartedAt !== null && st.updateStartedAt !== o.before;
      const running = st.tasks.filter((t) => isRunning(t) && t.image === st.image);
      const stale = st.tasks.filter((t) => t.desiredState === 'Running' && t.image !== st.image);
      const perNode: Record<string, number> = {};
      for (const t of running) perNode[t.node] = (perNode[t.node] ?? 0) + 1;
      const summary = `${running.length}/${o.replicas} healthy of ${st.image}${stale.length ? `, ${stale.length} old still wanted` : ''}${
        fresh && st.updateState ? ` (${st.updateState.replace('_', ' ')})` : ''
      }${
        Object.keys(perNode).length
          ? ` — ${Object.entries(perNode)
              .map(([n, c]) => `${n}: ${c}`)
              .sort()
              .join(', ')}`
          : ''
      }`;
      if (summary !== last) {
        s.log(summary);
        last = summary;
      }
      const rolling = fresh && (st.updateState === 'updating' || st.updateState === 'rollback_started');
      if (fresh && st.updateState?.startsWith('rollback')) {
        if (st.updateState === 'rollback_completed' || st.updateState === 'rollback_paused') throw rolledBack(st, s);
      } else if (fresh && st.updateState === 'paused') {
        throw new InfraktError(
          'HEALTH_CHECK_FAILED',
          `the rollout of ${o.service} is paused: ${st.updateMessage ?? ''}`,
          {
            details: { tasks: failures(st) },
            hint: 'see the failed tasks with: infrakt app ps <app>',
          },
        );
      } else if (!rolling && running.length === o.replicas && stale.length === 0 && (!o.expectUpdate || fresh)) {
        return { state: st, perNode };
      }
    } else if (Date.now() > deadline) {
      throw new InfraktError('COMMAND_FAILED', `docker service inspect ${o.service} failed: ${r.stderr.trim()}`);
    }
    if (Date.now() > deadline) {
      throw new InfraktError(
        'TIMEOUT',
        `${o.service} did not converge within ${Math.round(o.timeoutMs / 1000)} s (${last})`,
        {
          details: { tasks: lastState ? failures(lastState) : [] },
          hint: 'see where the replicas are with: infrakt app ps <app>',
        },
      );
    }
    await sleep(o.pollMs ?? 1000, o.signal);
  }
}

function failures(st: swarm.ServiceState): string[] {
  return st.tasks
    .filter(failedTask)
    .map((t) => `${t.name} on ${t.node || '?'}: ${t.currentState}${t.error ? ` — ${t.error}` : ''}`);
}

function rolledBack(st: swarm.ServiceState, s: StepHandle): InfraktError {
  const failed = failures(st);
  for (const f of failed.slice(0, 10)) s.log(`failed task ${f}`, 'stderr');
  return new InfraktError(
    'HEALTH_CHECK_FAILED',
    `the new release did not become healthy; Swarm rolled back to ${st.image}, which keeps serving${
      st.updateMessage ? ` (${st.updateMessage})` : ''
    }`,
    {
      details: { tasks: failed.slice(0, 10) },
      hint: 'see the failed tasks and their errors with: infrakt app ps <app>',
    },
  );
}

/** Waits `ms`, or less when the signal aborts (the caller checks it). */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((done) => {
    const onAbort = () => {
      clearTimeout(t);
      done();
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      done();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
