/**
 * The job port: what services see of the durable job runner (adapters/jobs implements it). Pure types and the
 * status vocabularies shared by the store, the API schemas and the CLI.
 */
import type { InfraktError } from './errors.js';
import type { JobLogLine, JobRecord, JobStatus, JobStep, LogStream } from './schemas/views/jobs.js';
import type { Secret } from './secret.js';

export type { JobLogLine, JobRecord, JobStatus, JobStep, LogStream, StepStatus } from './schemas/views/jobs.js';
// The job records and log lines are views (the API, `--json` and the dashboard show them as they are):
// their zod schemas are the one definition, next to the other views.
export { JOB_STATUSES, STEP_STATUSES } from './schemas/views/jobs.js';

/** What a job body sees: steps are recorded (status, timestamps, exit code), logs are redacted by the runner. */
export interface StepHandle {
  log(line: string, stream?: LogStream): void;
  /** Short human summary shown next to the step, e.g. "unchanged" reasons or a port. */
  detail(text: string): void;
  /** Marks the step as done without change (idempotent steps): status `unchanged`. */
  unchanged(reason?: string): void;
  exitCode(code: number): void;
}

export interface JobContext {
  readonly id: string;
  /** Aborted on `job cancel`, Ctrl-C, or API cancel: pass it to every executor call. */
  readonly signal: AbortSignal;
  step<T>(name: string, fn: (s: StepHandle) => Promise<T>): Promise<T>;
  /** Records a step that was not run, with the reason. */
  skip(name: string, reason: string): void;
  log(line: string, stream?: LogStream): void;
  /**
   * Records what the job cost and when its effect began (kept on the job record): the server session's
   * round trips and handshakes, a deploy's "serving" moment (ISO time). Later calls overwrite what they give.
   */
  measure(m: JobMeasures): void;
  /** Every line logged (and every step detail / error message stored) afterwards has these values scrubbed. */
  addSecrets(...secrets: Secret[]): void;
}

export interface JobMeasures {
  roundTrips?: number;
  sshHandshakes?: number;
  servingAt?: string;
}

export interface JobSpec {
  kind: string;
  /** Human label of what the job acts on, e.g. `web-1/api`. */
  target: string;
  serverId?: number;
  appId?: number;
  /** Must not contain secret values. */
  params?: Record<string, unknown>;
  /** Lock names held for the job's duration, e.g. `app:12`; contention → LOCKED (or wait). */
  locks?: string[];
  /** Wait for held locks up to this long instead of failing at once. */
  waitForLocksMs?: number;
  /** Steps known in advance, shown as pending. */
  plannedSteps?: string[];
  /** Who asked for it, when not the runner's own actor (a request approved by someone else, run later). */
  actor?: string;
}

export type JobEvent =
  | { type: 'status'; status: JobStatus; error?: JobRecord['error'] }
  | { type: 'step'; step: JobStep }
  | JobLogLine;

export interface JobHandle<T> {
  readonly id: string;
  /** Resolves with the body's result, rejects with the job's InfraktError. */
  readonly done: Promise<T>;
}

export interface Jobs {
  /**
   * Starts a job in this process and returns at once (API); the job outlives the caller's request.
   * The body begins on a later macrotask, so subscribing right after `await start()` sees every event.
   * Lock contention without `waitForLocksMs` rejects with LOCKED (the attempt is recorded as a failed job).
   */
  start<T>(spec: JobSpec, body: (job: JobContext) => Promise<T>): Promise<JobHandle<T>>;
  /** Starts and awaits (CLI). */
  run<T>(spec: JobSpec, body: (job: JobContext) => Promise<T>): Promise<{ jobId: string; result: T }>;
  /** Records a job that waits for another admin's approval (`approval_pending`): nothing runs. */
  hold(spec: JobSpec): Promise<JobRecord>;
  /**
   * Claims a `queued` job nobody runs yet (an approved request), oldest first or the one with `id`, for this
   * process: exactly one claimer wins a job, across processes and hosts. Null when there is none.
   */
  claim(opts?: { id?: string }): Promise<JobRecord | null>;
  /** Runs a job this process claimed, with its plan prepared again from the job's params. */
  resume<T>(id: string, plan: { spec: JobSpec; body: (job: JobContext) => Promise<T> }): Promise<JobHandle<T>>;
  /** Ends a claimed job that cannot be run (e.g. its operation is no longer valid) as failed with this error. */
  fail(id: string, error: { code: string; message: string; hint?: string }): Promise<JobRecord>;
  get(id: string): Promise<JobRecord>;
  list(opts?: {
    limit?: number;
    status?: JobStatus;
    appId?: number;
    serverId?: number;
    /** Only jobs on these servers / of these apps (a scoped user's view). */
    serverIds?: readonly number[];
    appIds?: readonly number[];
  }): Promise<JobRecord[]>;
  logs(id: string, opts?: { afterId?: number; limit?: number }): Promise<JobLogLine[]>;
  /** Aborts the job's signal (this process) or flags it for its process (polled ~every 500 ms). */
  cancel(id: string): Promise<JobRecord>;
  /**
   * Live events of a job in this process (and, by polling the store, of jobs run by other processes).
   * With `afterId`, stored log lines after that id are replayed first (SSE Last-Event-ID); log events are
   * delivered once each, in id order. A job that has already ended gets one final `status` event.
   */
  subscribe(id: string, listener: (e: JobEvent) => void, opts?: { afterId?: number }): () => void;
}

export type JobError = InfraktError & { details?: { jobId?: string } };
