import { notFound } from '../../core/errors.js';
import type { JobEvent, JobRecord, JobStatus, JobStep, LogStream, StepStatus } from '../../core/jobs.js';
import { isTerminalJob, JOB_TRANSITIONS } from '../../core/lifecycle/job-states.js';
import type { JobLogRow, JobRow, JobStepRow } from '../store/schema.js';
import type { Db } from '../store/store.js';
import { displayRunner } from './identity.js';

export type LogEvent = Extract<JobEvent, { type: 'log' }>;

export const isTerminal = isTerminalJob;

/** Allowed job transitions (core/lifecycle/job-states.ts); anything else raises instead of being written. */
export const TRANSITIONS = JOB_TRANSITIONS;

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

/** The queries of the jobs tables, the same text on SQLite and Postgres. */
export function jobQueries(db: Db) {
  const row = (id: string): Promise<JobRow | undefined> =>
    db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  const steps = (id: string): Promise<JobStepRow[]> =>
    db.selectFrom('job_steps').selectAll().where('job_id', '=', id).orderBy('idx').execute();
  return {
    row,
    steps,
    async record(id: string): Promise<JobRecord> {
      const r = await row(id);
      if (!r) throw notFound('job', id, 'list jobs with: infrakt job list');
      return toRecord(r, await steps(id));
    },
    /** Records of many jobs in two queries, in the order of `ids`. */
    async records(ids: readonly string[]): Promise<JobRecord[]> {
      if (ids.length === 0) return [];
      const rows = await db.selectFrom('jobs').selectAll().where('id', 'in', ids).execute();
      const all = await db.selectFrom('job_steps').selectAll().where('job_id', 'in', ids).orderBy('idx').execute();
      const byJob = new Map<string, JobStepRow[]>();
      for (const s of all) byJob.set(s.job_id, [...(byJob.get(s.job_id) ?? []), s]);
      const byId = new Map(rows.map((r) => [r.id, r]));
      return ids.flatMap((id) => {
        const r = byId.get(id);
        return r ? [toRecord(r, byJob.get(id) ?? [])] : [];
      });
    },
    async logs(id: string, afterId: number, limit: number): Promise<LogEvent[]> {
      const rows = await db
        .selectFrom('job_logs')
        .selectAll()
        .where('job_id', '=', id)
        .where('id', '>', afterId)
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map(toLogEvent);
    },
    async lastLogId(id: string): Promise<number> {
      const r = await db
        .selectFrom('job_logs')
        .select((eb) => eb.fn.max('id').as('id'))
        .where('job_id', '=', id)
        .executeTakeFirst();
      return Number(r?.id ?? 0);
    },
    async insertLog(jobId: string, stepIdx: number | null, stream: LogStream, line: string, ts: string) {
      const r = await db
        .insertInto('job_logs')
        .values({ job_id: jobId, step_idx: stepIdx, stream, line, ts })
        .returning('id')
        .executeTakeFirstOrThrow();
      return Number(r.id);
    },
    async cancelRequested(id: string): Promise<boolean> {
      const r = await db.selectFrom('jobs').select('cancel_requested').where('id', '=', id).executeTakeFirst();
      return r !== undefined && r.cancel_requested !== 0;
    },
  };
}

export type JobQueries = ReturnType<typeof jobQueries>;
