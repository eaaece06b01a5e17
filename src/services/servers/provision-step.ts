import { type Cmd, render } from '../../core/cmd/index.js';
import { InfraktError } from '../../core/errors.js';
import { type Executor, type RunOptions, type RunResult, tail } from '../../core/executor.js';
import type { StepHandle } from '../../core/jobs.js';
import type { Action, Check, ProvisionStep } from '../../core/plans/provision.js';

export interface CheckOutcome {
  readonly ok: boolean;
  /** Output of the first failing check (why the step has work to do), or of the last one. */
  readonly output: string;
}

export interface StepRunOptions {
  readonly signal: AbortSignal;
  /** Waits between retries; tests pass a fast one. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

export const defaultSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(new InfraktError('CANCELLED', 'provisioning was cancelled'));
      },
      { once: true },
    );
  });

const remaining = (deadline: number, step: ProvisionStep): number => {
  const left = deadline - Date.now();
  if (left <= 0) {
    throw new InfraktError('TIMEOUT', `step '${step.name}' took longer than ${Math.round(step.timeoutMs / 1000)} s`, {
      hint: step.hint,
    });
  }
  return left;
};

const LOST_CHANNEL_RETRIES = 2;
const lostChannel = (e: unknown) => e instanceof InfraktError && e.code === 'SSH_UNREACHABLE';

/**
 * Runs a read-only command; one that lost its channel is asked again (twice at most: a connection
 * that is really gone fails again at once).
 */
export async function runReadOnly(ex: Executor, cmd: Cmd, opts: RunOptions): Promise<RunResult> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await ex.run(cmd, opts);
    } catch (e) {
      if (!lostChannel(e) || attempt >= LOST_CHANNEL_RETRIES) throw e;
    }
  }
}

/** Runs a step's checks in order; stops at the first that says "work to do". */
export async function runChecks(
  ex: Executor,
  step: ProvisionStep,
  deadline: number,
  signal: AbortSignal,
  checks: readonly Check[] = step.checks,
): Promise<CheckOutcome> {
  let output = '';
  for (const c of checks) {
    const res = await runReadOnly(ex, c.cmd, {
      timeoutMs: remaining(deadline, step),
      signal,
      stdin: c.stdin,
    });
    output = (res.stdout || res.stderr).trim();
    if (res.exitCode !== 0) return { ok: false, output };
  }
  return { ok: true, output };
}

/**
 * Every action of the plan is idempotent (running it twice ends in the same state), so one whose
 * channel was lost runs again (twice at most); on a connection that is really gone it fails again at once.
 */
async function onceMore<T>(s: StepHandle, what: string, fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!lostChannel(e) || attempt >= LOST_CHANNEL_RETRIES) throw e;
      s.log(`${what}: ${(e as Error).message}; running it again (idempotent)`);
    }
  }
}

/**
 * Runs one action: exit codes the step's retry policy calls transient are retried with backoff;
 * any other failure is a configuration error and stops the step with its hint.
 */
export async function runAction(
  ex: Executor,
  step: ProvisionStep,
  action: Action,
  s: StepHandle,
  deadline: number,
  opts: StepRunOptions,
): Promise<void> {
  s.log(`→ ${action.what}`);
  if (action.kind === 'put') {
    await onceMore(s, action.what, () => ex.put(action.path, action.content, { mode: action.mode, sudo: true }));
    return;
  }
  const sleep = opts.sleep ?? defaultSleep;
  const delays = action.retry?.delaysMs ?? [];
  for (let attempt = 0; ; attempt++) {
    const res = await onceMore(s, action.what, () =>
      ex.stream(action.cmd, (stream, line) => s.log(line, stream), {
        timeoutMs: remaining(deadline, step),
        signal: opts.signal,
        stdin: action.stdin,
      }),
    );
    s.exitCode(res.exitCode);
    if (res.exitCode === 0) return;
    const delay = delays[attempt];
    const transient = action.retry?.on.includes(res.exitCode) ?? false;
    if (transient && delay !== undefined) {
      s.log(
        `${action.what}: exit ${res.exitCode} (transient), retry ${attempt + 1}/${delays.length} in ${delay / 1000} s`,
      );
      await sleep(Math.min(delay, remaining(deadline, step)), opts.signal);
      continue;
    }
    const outputTail = tail(`${res.stdout}\n${res.stderr}`.trim(), 15);
    throw new InfraktError(
      'COMMAND_FAILED',
      `${action.what} failed on ${ex.target} (exit ${res.exitCode}${transient ? `, after ${delays.length} retries` : ''})`,
      {
        hint: step.hint,
        details: {
          step: step.name,
          command: render(action.cmd, { redact: true }),
          exitCode: res.exitCode,
          stderrTail: outputTail,
        },
      },
    );
  }
}

export type StepOutcome = { readonly status: 'unchanged' | 'changed' | 'would-change'; readonly detail: string };

/** Check, then (unless dry-run) act and check again: a step is done only when its checks pass. */
export async function applyStep(
  ex: Executor,
  step: ProvisionStep,
  s: StepHandle,
  opts: StepRunOptions & { dryRun: boolean },
): Promise<StepOutcome> {
  const deadline = Date.now() + step.timeoutMs;
  const before = await runChecks(ex, step, deadline, opts.signal);
  if (step.checkOnly) {
    if (before.output) for (const line of before.output.split('\n')) s.log(line);
    if (!before.ok) {
      throw new InfraktError('COMMAND_FAILED', `${step.name}: ${before.output.split('\n')[0] ?? 'check failed'}`, {
        hint: step.hint,
        details: { step: step.name, stderrTail: tail(before.output, 15) },
      });
    }
    return {
      status: 'unchanged',
      detail: before.output ? `${step.unchanged}; ${before.output.replaceAll('\n', '; ')}` : step.unchanged,
    };
  }
  if (before.ok) return { status: 'unchanged', detail: step.unchanged };
  if (before.output) s.log(`check: ${before.output.split('\n')[0]}`);
  if (opts.dryRun) return { status: 'would-change', detail: `would ${step.change}` };
  for (const action of step.actions) await runAction(ex, step, action, s, deadline, opts);
  const after = await runChecks(ex, step, deadline, opts.signal, step.verify ?? step.checks);
  if (!after.ok) {
    throw new InfraktError('COMMAND_FAILED', `${step.name}: applied, but its check still fails`, {
      hint: step.hint,
      details: { step: step.name, stderrTail: tail(after.output, 15) },
    });
  }
  return { status: 'changed', detail: step.change };
}
