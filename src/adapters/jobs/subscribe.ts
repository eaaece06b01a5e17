import type { JobEvent, JobStatus } from '../../core/jobs.js';
import { isTerminal, type JobQueries, toRecord } from './rows.js';

/**
 * Follows a job run by another process (or already ended) by polling the store: new log lines,
 * changed steps, status changes. Stops by itself once the job has ended and its last events are out.
 */
export function storeSubscription(
  q: JobQueries,
  id: string,
  deliver: (e: JobEvent) => void,
  afterId: number | undefined,
  pollMs: number,
): () => void {
  const first = q.record(id); // NOT_FOUND for an unknown job
  let lastLog = afterId ?? q.lastLogId(id);
  const seen = new Map(first.steps.map((s) => [s.idx, JSON.stringify(s)]));
  let status: JobStatus = first.status;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const tick = () => {
    if (stopped) return;
    for (const e of q.logs(id, lastLog, 10_000)) {
      lastLog = e.id;
      deliver(e);
    }
    const row = q.row(id);
    if (!row) return stop();
    const rec = toRecord(row, q.steps(id));
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
  };
  function stop() {
    stopped = true;
    if (timer) clearInterval(timer);
  }
  // Replay requested backlog at once; the first poll (or the final status of an ended job) comes async.
  if (afterId !== undefined) {
    for (const e of q.logs(id, afterId, 100_000)) {
      lastLog = e.id;
      deliver(e);
    }
  }
  if (isTerminal(first.status)) {
    setImmediate(tick);
  } else {
    timer = setInterval(tick, pollMs);
  }
  return stop;
}
