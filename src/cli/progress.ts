import { InfraktError, toInfraktError } from '../core/errors.js';
import type { JobContext, JobEvent, JobRecord, JobSpec } from '../core/jobs.js';
import type { Ctx } from '../services/shared/context.js';
import type { JobPlan } from '../services/shared/job-plan.js';
import { EXIT_CODES } from './exit-codes.js';
import { c, ce, printJson } from './output.js';
import { duration, plainRenderer, type Renderer, ttyRenderer } from './progress-render.js';

export interface RunJobOptions {
  /** Print the job record as JSON on stdout instead of progress and a summary. */
  json?: boolean;
  /** Show log lines under the running step (TTY) or every log line (plain). Default: the global `--verbose`. */
  verbose?: boolean;
  /** Where progress goes (default stderr; stdout stays for results). */
  progress?: NodeJS.WriteStream;
}

export interface RunJobResult<T> {
  jobId: string;
  result: T;
  record: JobRecord;
}

/**
 * Runs a job for a CLI command: live step progress, Ctrl-C cancels the job (a second Ctrl-C
 * quits at once and the runner records the job as interrupted), a summary line at the end
 * (`✓ deploy web-1/api succeeded in 3.2s (job j_…)`), or the job record with `--json`.
 * On failure it throws the job's InfraktError (its code gives the exit code) with
 * `infrakt job logs <id>` in the hint.
 */
export async function runJob<T>(
  ctx: Pick<Ctx, 'jobs'>,
  spec: JobSpec,
  body: (job: JobContext) => Promise<T>,
  opts: RunJobOptions = {},
): Promise<RunJobResult<T>> {
  const out = opts.progress ?? process.stderr;
  // A global flag like --debug (commander accepts it before or after the subcommand).
  const verbose = opts.verbose ?? process.argv.includes('--verbose');
  const handle = await ctx.jobs.start(spec, body);
  const id = handle.id;
  // Subscribed at once, while the job is surely live: a fast job could otherwise end before the renderer exists,
  // and its lines would then only reach us through the store poll after we stopped listening. Events wait in
  // `early` until the renderer is built from the job's steps.
  const early: JobEvent[] = [];
  let sink: ((e: JobEvent) => void) | null = null;
  const off = opts.json ? () => {} : ctx.jobs.subscribe(id, (e) => (sink ? sink(e) : early.push(e)), { afterId: 0 });
  const initial = await ctx.jobs.get(id);
  const renderer: Renderer | null = opts.json
    ? null
    : out.isTTY && process.env.TERM !== 'dumb'
      ? ttyRenderer(out, initial.steps, verbose)
      : plainRenderer(out, initial.steps, verbose);
  if (renderer) {
    sink = (e) => renderer.event(e);
    for (const e of early.splice(0)) renderer.event(e);
  }

  let interrupts = 0;
  const onSigint = () => {
    interrupts++;
    if (interrupts === 1) {
      out.write(`${ce.yellow('cancelling')} job ${id}… (press Ctrl-C again to quit at once)\n`);
      ctx.jobs.cancel(id).catch(() => {});
      return;
    }
    renderer?.stop();
    out.write(`quit; job ${id} is recorded as interrupted\n`);
    process.exit(EXIT_CODES.CANCELLED);
  };
  process.on('SIGINT', onSigint);

  let failure: unknown = null;
  let result: T | undefined;
  try {
    result = await handle.done;
  } catch (e) {
    failure = e;
  } finally {
    process.off('SIGINT', onSigint);
    off();
    renderer?.stop();
  }

  const record = await ctx.jobs.get(id);
  const what = `${record.kind} ${record.target}`;
  const took =
    record.startedAt && record.finishedAt
      ? duration(Date.parse(record.finishedAt) - Date.parse(record.startedAt))
      : '0ms';
  // On failure --json prints the error object (with the job id) once, from the entry point.
  if (opts.json && failure === null) printJson(record);
  if (failure === null) {
    if (!opts.json) process.stdout.write(`${c.green('✓')} ${what} succeeded in ${took} ${c.dim(`(job ${id})`)}\n`);
    return { jobId: id, result: result as T, record };
  }
  if (!opts.json) {
    const verb = record.status === 'cancelled' ? 'cancelled' : 'failed';
    out.write(`${ce.red('✗')} ${what} ${verb} after ${took} ${ce.dim(`(job ${id})`)}\n`);
  }
  throw withLogsHint(toInfraktError(failure), id);
}

/** The job's error with `infrakt job logs <id>` in its hint (filling in a `<id>` placeholder if present). */
/** Runs a prepared job with progress; `--json` prints the job record (with its result). */
export async function runPlanCli<T>(ctx: Pick<Ctx, 'jobs'>, plan: JobPlan<T>, json: boolean): Promise<T> {
  const { result } = await runJob(ctx, plan.spec, plan.body, { json });
  return result;
}

export function withLogsHint(err: InfraktError, jobId: string): InfraktError {
  const cmd = `infrakt job logs ${jobId}`;
  let hint = err.hint ?? '';
  if (hint.includes('infrakt job logs <id>')) hint = hint.replaceAll('infrakt job logs <id>', cmd);
  else if (!hint.includes(cmd)) hint = hint ? `${hint}; full log: ${cmd}` : `full log: ${cmd}`;
  return new InfraktError(err.code, err.message, {
    hint,
    details: { ...(err.details ?? {}), jobId },
    cause: err.cause ?? err,
  });
}
