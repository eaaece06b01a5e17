import type { JobEvent, JobStatus } from '../../core/jobs.js';
import { isTerminal, type JobQueries, toRecord } from './rows.js';

/**
 * Follows a job run by another process (or already ended) by polling the store: new log lines,
 * changed steps, status changes. Stops by itself once the job has ended and its last events are out.
 * An unknown job delivers nothing (callers look the job up first).
 */
export function storeSubscription(
  q: JobQueries,
  id: string,
  deliver: (e: JobEvent) => void,
  afterId: number | undefined,
  pollMs: number,
): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let lastLog = 0;
  let seen = new Map<number, string>();
  let status: JobStatus | null = null;
  let busy = false;

  const tick = async () => {
    if (stopped || busy) return;
    busy = true;
    try {
      for (const e of await q.logs(id, lastLog, 10_000)) {
        if (stopped) return;
        lastLog = e.id;
        deliver(e);
      }
      const row = await q.row(id);
      if (!row || stopped) return stop();
      const rec = toRecord(row, await q.steps(id));
      for (const s of rec.steps) {
        const key = JSON.stringify(s);
        if (seen.get(s.idx) === key) continue;
        seen.set(s.idx, key);
        deliver({ type: 'step', step: s });
      }
      if (rec.status !== status || isTerminal(rec.status)) {
        status = rec.status;
        deliver({ type: 'status', status: rec.status, ...(rec.error ? { error: rec.error } : {}) });
      }
      if (isTerminal(rec.status)) stop();
    } catch {
      // The store may be closing (or busy for a moment): the next tick tries again.
    } finally {
      busy = false;
    }
  };
  function stop() {
    stopped = true;
    if (timer) clearInterval(timer);
  }
  void (async () => {
    let first: Awaited<ReturnType<JobQueries['record']>>;
    try {
      first = await q.record(id);
    } catch {
      return stop();
    }
    lastLog = afterId ?? (await q.lastLogId(id).catch(() => 0));
    // A replay (afterId) catches up on the steps too: the job may have moved on (even ended) before this first
    // read, and those changes would otherwise never be delivered. A live follow starts from the state as read.
    seen = afterId !== undefined ? new Map() : new Map(first.steps.map((s) => [s.idx, JSON.stringify(s)]));
    status = first.status;
    if (stopped) return;
    // Replay the requested backlog at once; the first poll (or the final status of an ended job) comes next.
    if (afterId !== undefined) {
      for (const e of await q.logs(id, afterId, 100_000).catch(() => [])) {
        if (stopped) return;
        lastLog = e.id;
        deliver(e);
      }
    }
    if (isTerminal(first.status)) void tick();
    else timer = setInterval(() => void tick(), pollMs);
  })();
  return stop;
}
