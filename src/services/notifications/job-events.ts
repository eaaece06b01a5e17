import type { JobRecord, Jobs } from '../../core/jobs.js';
import type { NotifyEventType } from '../../core/schemas/notifications.js';
import { type EventSink, type NotifyEvent, raiseEvent } from './events.js';

/** Job kinds that are deploys as far as people are concerned (a new release of an app went live, or not). */
const DEPLOY_KINDS = new Set(['app.deploy', 'env.push', 'catalog.install', 'catalog.upgrade', 'preview.deploy']);

/** The event a finished job raises, if any. Jobs cancelled before they started are not news. */
export function jobEvent(job: JobRecord): NotifyEvent | null {
  if (job.status === 'cancelled' && !job.startedAt) return null;
  const ok = job.status === 'succeeded';
  const result = (job.result ?? {}) as Record<string, unknown>;
  const why = job.error ? `: ${job.error.message}` : job.status === 'cancelled' ? ': cancelled' : '';
  const base = {
    job: job.id,
    kind: job.kind,
    status: job.status,
    actor: job.actor,
    ...(job.params.trigger ? { trigger: job.params.trigger } : {}),
    ...(job.params.commit ? { commit: job.params.commit } : {}),
    error: job.error ? { code: job.error.code, message: job.error.message } : null,
  };
  const release = typeof result.release === 'number' ? ` release ${result.release}` : '';
  const ref = typeof result.sourceRef === 'string' ? ` (${result.sourceRef.slice(0, 19)})` : '';
  let type: NotifyEventType;
  let text: string;
  if (DEPLOY_KINDS.has(job.kind)) {
    type = ok ? 'deploy.succeeded' : 'deploy.failed';
    text = ok ? `Deployed ${job.target}:${release}${ref}` : `Deploy of ${job.target} failed${why}`;
  } else if (job.kind === 'app.rollback') {
    type = 'rollback';
    text = ok ? `Rolled back ${job.target}: now${release}${ref}` : `Rollback of ${job.target} failed${why}`;
  } else if (job.kind === 'db.backup') {
    type = ok ? 'backup.succeeded' : 'backup.failed';
    text = ok ? `Backup of ${job.target} done: ${String(result.file ?? '')}` : `Backup of ${job.target} failed${why}`;
  } else return null;
  return {
    type,
    subject: job.target,
    text,
    data: {
      ...base,
      ...(typeof result.release === 'number' ? { release: result.release } : {}),
      ...(typeof result.sourceRef === 'string' ? { source: result.sourceRef } : {}),
      ...(typeof result.msToServing === 'number' ? { msToServing: result.msToServing } : {}),
    },
  };
}

/**
 * The job port with notifications: when a deploy, rollback or backup job ends, its event goes to the outbox
 * (read back from the stored record, so the error is the redacted one). Raising never fails or delays a job.
 * `pending()` lets a CLI process wait for the events it raised before it delivers them and exits.
 */
export function withJobNotifications<J extends Jobs>(
  jobs: J,
  sink: EventSink,
  onRaised?: (eventId: number) => void,
): J & { pending(): Promise<void> } {
  const inFlight = new Set<Promise<void>>();
  const observe = (id: string, done: Promise<unknown>) => {
    const p = done
      .then(
        () => undefined,
        () => undefined,
      )
      .then(async () => {
        const ev = jobEvent(await jobs.get(id));
        if (!ev) return;
        // Raised first, then reported: `onRaised?.(await raiseEvent(…))` would skip the raise without a listener.
        const { eventId } = await raiseEvent(sink, ev);
        onRaised?.(eventId);
      })
      .catch(() => undefined)
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  const start: Jobs['start'] = async (spec, body) => {
    const h = await jobs.start(spec, body);
    observe(h.id, h.done);
    return h;
  };
  // An approved request runs through resume: its end is news like any other job's.
  const resume: Jobs['resume'] = async (id, plan) => {
    const h = await jobs.resume(id, plan);
    observe(h.id, h.done);
    return h;
  };
  return Object.assign(Object.create(null) as object, jobs, {
    start,
    resume,
    run: (async (spec, body) => {
      const h = await start(spec, body);
      return { jobId: h.id, result: await h.done };
    }) as Jobs['run'],
    async pending() {
      while (inFlight.size) await Promise.all([...inFlight]);
    },
  }) as J & { pending(): Promise<void> };
}
