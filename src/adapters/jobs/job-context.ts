import { InfraktError, isInfraktError } from '../../core/errors.js';
import type { JobContext, JobEvent, JobMeasures, JobStep, LogStream, StepHandle, StepStatus } from '../../core/jobs.js';
import { isSecret, type Secret, scrub } from '../../core/secret.js';
import type { Db } from '../store/store.js';
import type { JobQueries } from './rows.js';

const MAX_LINE = 16 * 1024;
const MAX_DETAIL = 300;

export function cancelledError(reason?: unknown): InfraktError {
  if (isInfraktError(reason) && reason.code === 'CANCELLED') return reason;
  return new InfraktError('CANCELLED', 'job cancelled', { hint: 'run the command again when ready' });
}

/**
 * The JobContext a body sees. Every step change and log line is written to the store in call order (one queue per
 * job: `log()` stays synchronous for the body) and emitted to in-process subscribers once stored, with its id; a
 * step resolves only once its rows are written, so another process polling sees it. Every text is scrubbed of the
 * secrets registered with addSecrets first.
 */
export class LiveJob implements JobContext {
  readonly secrets: Secret[] = [];
  private readonly steps = new Map<number, JobStep>();
  private readonly running = new Set<number>();
  private nextIdx: number;
  private queue: Promise<void> = Promise.resolve();
  private writeError: unknown = null;

  constructor(
    readonly id: string,
    readonly signal: AbortSignal,
    planned: readonly string[],
    private readonly db: Db,
    private readonly q: JobQueries,
    private readonly now: () => string,
    private readonly emit: (e: JobEvent) => void,
  ) {
    planned.forEach((name, idx) => {
      this.steps.set(idx, emptyStep(idx, name));
    });
    this.nextIdx = planned.length;
  }

  /** Waits for every queued write; a write that failed (e.g. the database went away) is thrown here. */
  async flush(): Promise<void> {
    await this.queue;
    if (this.writeError) throw this.writeError;
  }

  private enqueue(write: () => Promise<void>): void {
    this.queue = this.queue.then(write).catch((e) => {
      this.writeError ??= e;
    });
  }

  measure(m: JobMeasures): void {
    const set = {
      ...(m.roundTrips !== undefined ? { round_trips: m.roundTrips } : {}),
      ...(m.sshHandshakes !== undefined ? { ssh_handshakes: m.sshHandshakes } : {}),
      ...(m.servingAt !== undefined ? { serving_at: m.servingAt } : {}),
    };
    if (Object.keys(set).length === 0) return;
    this.enqueue(async () => {
      await this.db.updateTable('jobs').set(set).where('id', '=', this.id).execute();
    });
  }

  addSecrets(...secrets: Secret[]): void {
    for (const s of secrets) if (isSecret(s) && !this.secrets.includes(s)) this.secrets.push(s);
  }

  scrub(text: string): string {
    return this.secrets.length ? scrub(text, this.secrets) : text;
  }

  log(line: string, stream: LogStream = 'info'): void {
    // Lines logged outside a step belong to the running step when exactly one runs.
    const only = this.running.size === 1 ? [...this.running][0]! : null;
    this.write(only, stream, line);
  }

  write(stepIdx: number | null, stream: LogStream, text: string): void {
    // Scrub before splitting and truncating: a secret spanning a line break or the cut must not leak in parts.
    const lines = this.scrub(String(text))
      .replace(/\r?\n$/, '')
      .split(/\r?\n/);
    for (const l of lines) {
      const clean = l.length > MAX_LINE ? `${l.slice(0, MAX_LINE)}…[truncated]` : l;
      const ts = this.now();
      this.enqueue(async () => {
        const id = await this.q.insertLog(this.id, stepIdx, stream, clean, ts);
        this.emit({ type: 'log', id, stepIdx, stream, line: clean, ts });
      });
    }
  }

  skip(name: string, reason: string): void {
    const step = this.claim(name);
    const now = this.now();
    this.save({ ...step, status: 'skipped', detail: this.short(reason), startedAt: now, finishedAt: now });
  }

  async step<T>(name: string, fn: (s: StepHandle) => Promise<T>): Promise<T> {
    if (this.signal.aborted) throw cancelledError(this.signal.reason);
    const claimed = this.claim(name);
    // Set from the step's callbacks; an object so TypeScript doesn't narrow them away.
    const st = { unchanged: null as string | null, exitCode: null as number | null, detail: null as string | null };
    const idx = claimed.idx;
    const current = () => this.steps.get(idx)!;
    this.running.add(idx);
    this.save({ ...claimed, status: 'running', startedAt: this.now(), finishedAt: null });
    const handle: StepHandle = {
      log: (line, stream = 'info') => this.write(idx, stream, line),
      detail: (text) => {
        st.detail = this.short(text);
        this.save({ ...current(), detail: st.detail });
      },
      unchanged: (reason) => {
        st.unchanged = reason ?? '';
      },
      exitCode: (code) => {
        st.exitCode = code;
      },
    };
    let result: T;
    try {
      // Durable before the body runs: a process killed mid-step must leave the step `running` for recovery to mark
      // failed (the write queue could otherwise still hold it, and the step would read as never run). A cancel
      // that came meanwhile ends the step here, before a body that would wait for an abort already past.
      await this.flush();
      if (this.signal.aborted) throw cancelledError(this.signal.reason);
      result = await fn(handle);
    } catch (e) {
      const aborted = this.signal.aborted || (isInfraktError(e) && e.code === 'CANCELLED');
      const code = st.exitCode ?? errorExitCode(e);
      const d = st.detail ?? (aborted ? 'cancelled' : this.short(firstLine(e)));
      this.end(idx, { ...current(), status: aborted ? 'cancelled' : 'failed', exitCode: code, detail: d });
      await this.flush();
      throw e;
    }
    const status: StepStatus = st.unchanged === null ? 'succeeded' : 'unchanged';
    const d = st.unchanged ? this.short(st.unchanged) : st.detail;
    this.end(idx, { ...current(), status, exitCode: st.exitCode, detail: d });
    await this.flush();
    return result;
  }

  private end(idx: number, step: JobStep): void {
    this.running.delete(idx);
    this.save({ ...step, finishedAt: this.now() });
  }

  // A planned step of that name still pending, or a new step at the end.
  private claim(name: string): JobStep {
    for (const s of this.steps.values()) if (s.name === name && s.status === 'pending') return s;
    const step = emptyStep(this.nextIdx++, name);
    this.steps.set(step.idx, step);
    this.enqueue(async () => {
      await this.db
        .insertInto('job_steps')
        .values({ job_id: this.id, idx: step.idx, name, status: 'pending' })
        .execute();
    });
    return step;
  }

  private save(step: JobStep): void {
    this.steps.set(step.idx, step);
    const copy = { ...step };
    this.enqueue(async () => {
      await this.db
        .updateTable('job_steps')
        .set({
          status: copy.status,
          exit_code: copy.exitCode,
          detail: copy.detail,
          started_at: copy.startedAt,
          finished_at: copy.finishedAt,
        })
        .where('job_id', '=', this.id)
        .where('idx', '=', copy.idx)
        .execute();
      this.emit({ type: 'step', step: copy });
    });
  }

  private short(text: string): string {
    const t = this.scrub(text);
    return t.length > MAX_DETAIL ? `${t.slice(0, MAX_DETAIL - 1)}…` : t;
  }
}

const emptyStep = (idx: number, name: string): JobStep => ({
  idx,
  name,
  status: 'pending',
  exitCode: null,
  detail: null,
  startedAt: null,
  finishedAt: null,
});

function errorExitCode(e: unknown): number | null {
  const c = isInfraktError(e) ? e.details?.exitCode : undefined;
  return typeof c === 'number' ? c : null;
}

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n')[0] ?? '';
}
