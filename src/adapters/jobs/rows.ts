import type BetterSqlite3 from 'better-sqlite3';
import { notFound } from '../../core/errors.js';
import type { JobEvent, JobRecord, JobStatus, JobStep, LogStream, StepStatus } from '../../core/jobs.js';
import type { JobLogRow, JobRow, JobStepRow } from '../store/schema.js';
import { displayRunner } from './identity.js';

export type LogEvent = Extract<JobEvent, { type: 'log' }>;

export const TERMINAL: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled']);
export const isTerminal = (s: string): boolean => TERMINAL.has(s as JobStatus);

/** Allowed job transitions; anything else is a bug and raises instead of being written. */
export const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  queued: ['running', 'failed', 'cancelled'],
  running: ['succeeded', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

export function toStep(r: JobStepRow): JobStep {
  return {
    idx: r.idx,
    name: r.name,
    status: r.status as StepStatus,
    exitCode: r.exit_code,
    detail: r.detail,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
  };
}

export function toLogEvent(r: JobLogRow): LogEvent {
  return { type: 'log', id: r.id, stepIdx: r.step_idx, stream: r.stream as LogStream, line: r.line, ts: r.ts };
}

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export function toRecord(r: JobRow, steps: JobStepRow[]): JobRecord {
  return {
    id: r.id,
    kind: r.kind,
    status: r.status as JobStatus,
    target: r.target,
    serverId: r.server_id,
    appId: r.app_id,
    actor: r.actor,
    params: (parseJson(r.params_json) as Record<string, unknown> | null) ?? {},
    result: parseJson(r.result_json),
    error: r.error_code
      ? { code: r.error_code, message: r.error_message ?? '', ...(r.error_hint ? { hint: r.error_hint } : {}) }
      : null,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    servingAt: r.serving_at ?? null,
    roundTrips: r.round_trips ?? null,
    sshHandshakes: r.ssh_handshakes ?? null,
    steps: steps.map(toStep),
    runner: r.runner === null ? null : displayRunner(r.runner),
    cancelRequested: r.cancel_requested !== 0 && !isTerminal(r.status),
  };
}

/** Prepared statements over the jobs tables (synchronous: cheap enough to log every line as it comes). */
export function jobQueries(raw: BetterSqlite3.Database) {
  const jobRow = raw.prepare('SELECT * FROM jobs WHERE id = ?');
  const stepRows = raw.prepare('SELECT * FROM job_steps WHERE job_id = ? ORDER BY idx');
  const logRows = raw.prepare('SELECT * FROM job_logs WHERE job_id = ? AND id > ? ORDER BY id LIMIT ?');
  const insLog = raw.prepare('INSERT INTO job_logs (job_id, step_idx, stream, line, ts) VALUES (?, ?, ?, ?, ?)');
  const maxLog = raw.prepare('SELECT MAX(id) AS id FROM job_logs WHERE job_id = ?');
  const cancelFlag = raw.prepare('SELECT cancel_requested, status FROM jobs WHERE id = ?');
  return {
    row(id: string): JobRow | undefined {
      return jobRow.get(id) as JobRow | undefined;
    },
    steps(id: string): JobStepRow[] {
      return stepRows.all(id) as JobStepRow[];
    },
    record(id: string): JobRecord {
      const r = jobRow.get(id) as JobRow | undefined;
      if (!r) throw notFound('job', id, 'list jobs with: infrakt job list');
      return toRecord(r, stepRows.all(id) as JobStepRow[]);
    },
    logs(id: string, afterId: number, limit: number): LogEvent[] {
      return (logRows.all(id, afterId, limit) as JobLogRow[]).map(toLogEvent);
    },
    lastLogId(id: string): number {
      return (maxLog.get(id) as { id: number | null }).id ?? 0;
    },
    insertLog(jobId: string, stepIdx: number | null, stream: LogStream, line: string, ts: string): number {
      return Number(insLog.run(jobId, stepIdx, stream, line, ts).lastInsertRowid);
    },
    cancelRequested(id: string): boolean {
      const r = cancelFlag.get(id) as { cancel_requested: number; status: string } | undefined;
      return r !== undefined && r.cancel_requested !== 0;
    },
  };
}

export type JobQueries = ReturnType<typeof jobQueries>;
