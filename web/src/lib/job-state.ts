// Folding job events into a view: pure, so it is unit-tested without a browser.
import type { JobLogLine, JobRecord, JobStatus, JobStep } from '../api/types.js';

export type LogLine = JobLogLine;

export interface JobState {
  job: JobRecord | null;
  logs: LogLine[];
}

export const TERMINAL: readonly JobStatus[] = ['succeeded', 'failed', 'cancelled'];
export const isTerminal = (s: string | undefined): boolean => TERMINAL.includes(s as JobStatus);

const MAX_LINES = 5000;

function upsertStep(steps: JobStep[], step: JobStep): JobStep[] {
  const i = steps.findIndex((s) => s.idx === step.idx);
  if (i === -1) return [...steps, step].sort((a, b) => a.idx - b.idx);
  const copy = steps.slice();
  copy[i] = step;
  return copy;
}

/** Appends log lines, dropping ones already seen (a reconnect or the initial fetch may repeat them). */
export function mergeLogs(current: LogLine[], incoming: LogLine[]): LogLine[] {
  if (incoming.length === 0) return current;
  const seen = new Set(current.map((l) => l.id));
  const fresh = incoming.filter((l) => !seen.has(l.id));
  if (fresh.length === 0) return current;
  const all = [...current, ...fresh].sort((a, b) => a.id - b.id);
  return all.length > MAX_LINES ? all.slice(-MAX_LINES) : all;
}

/** Normalises whatever the API sends as a log row (`{id, line, stream, stepIdx, ts}`) into a LogLine. */
export function toLogLine(raw: unknown): LogLine | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as Record<string, unknown>;
  if (typeof r.line !== 'string' || typeof r.id !== 'number') return null;
  const stream = r.stream === 'stdout' || r.stream === 'stderr' ? r.stream : 'info';
  const stepIdx = typeof r.stepIdx === 'number' ? r.stepIdx : typeof r.step_idx === 'number' ? r.step_idx : null;
  return { type: 'log', id: r.id, line: r.line, stream, stepIdx, ts: typeof r.ts === 'string' ? r.ts : '' };
}

/**
 * Applies one SSE message. The event name is a fallback for the payload's own `type`;
 * a payload that is a whole job record replaces the job.
 */
export function applyEvent(state: JobState, eventName: string, payload: unknown): JobState {
  if (!payload || typeof payload !== 'object') return state;
  const p = payload as Record<string, unknown>;
  const type = typeof p.type === 'string' ? p.type : eventName;
  if (type === 'log') {
    const line = toLogLine(p);
    return line ? { ...state, logs: mergeLogs(state.logs, [line]) } : state;
  }
  if (type === 'step' && state.job) {
    // The API sends the step itself; a `{ type, step }` JobEvent is accepted too.
    const step = (p.step && typeof p.step === 'object' ? p.step : p) as JobStep;
    if (typeof step.idx !== 'number' || typeof step.name !== 'string') return state;
    return { ...state, job: { ...state.job, steps: upsertStep(state.job.steps, step) } };
  }
  if ((type === 'status' || type === 'end') && typeof p.status === 'string' && state.job) {
    const error = (p.error as JobRecord['error'] | undefined) ?? state.job.error;
    return { ...state, job: { ...state.job, status: p.status as JobStatus, error } };
  }
  if ((type === 'job' || type === 'snapshot') && typeof p.id === 'string' && Array.isArray(p.steps)) {
    return { ...state, job: p as unknown as JobRecord };
  }
  if (typeof p.job === 'object' && p.job && Array.isArray((p.job as JobRecord).steps)) {
    return { ...state, job: p.job as JobRecord };
  }
  return state;
}
