import type { Duplex, Readable } from 'node:stream';
import type { Cmd } from './cmd/cmd.js';
import { render } from './cmd/render.js';
import { InfraktError } from './errors.js';
import type { Secret } from './secret.js';

export type Stdin = string | Uint8Array | Secret;
export type StreamName = 'stdout' | 'stderr';

export interface RunOptions {
  /** Sent on the command's stdin: the only way secrets reach a remote process. */
  readonly stdin?: Stdin;
  /** Kill the remote process group and reject with TIMEOUT after this long. */
  readonly timeoutMs?: number;
  /** Abort kills the remote process group and rejects with CANCELLED. */
  readonly signal?: AbortSignal;
  /** Called for each complete output line as it arrives (streams kept apart). */
  readonly onLine?: (stream: StreamName, line: string) => void;
  /** Extra values to scrub from captured output and errors. */
  readonly secrets?: readonly Secret[];
}

export interface RunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
}

export interface PutOptions {
  /** File mode, e.g. 0o600. Applied before the file becomes visible under its name. */
  readonly mode?: number;
  /**
   * Write as root through `sudo -n` when the server user is not root (the temp file, chmod and
   * rename all happen under sudo). Ignored when already root.
   */
  readonly sudo?: boolean;
}

/**
 * Everything infrakt does to a server goes through this interface.
 * One Executor = one connection to one server, for the duration of one operation.
 *
 * `run` resolves for every exit code (decide on exit codes, not stderr text) and
 * rejects only for transport failures, TIMEOUT and CANCELLED.
 */
export interface Executor {
  /** Human label for messages, e.g. `root@10.0.0.5:22` or `local`. */
  readonly target: string;
  run(cmd: Cmd, opts?: RunOptions): Promise<RunResult>;
  /** Like run, lines delivered as they come. */
  stream(cmd: Cmd, onLine: (stream: StreamName, line: string) => void, opts?: RunOptions): Promise<RunResult>;
  /**
   * Like run, with a byte stream as stdin, sent as it is read (with backpressure) and closed at its end: large
   * uploads such as an image archive into `docker load`. An error of the stream stops the command (COMMAND_FAILED).
   */
  runWithInput(cmd: Cmd, input: Readable, opts?: Omit<RunOptions, 'stdin'>): Promise<RunResult>;
  /** Atomic write: temp file in the same directory, then rename. Content travels as data, never in argv. */
  put(path: string, content: string | Uint8Array | Secret, opts?: PutOptions): Promise<void>;
  /** Reads a whole remote file. */
  get(path: string): Promise<Buffer>;
  /** A TCP stream to host:port as seen from the server (default 127.0.0.1), e.g. for health checks. */
  connectTcp(port: number, host?: string): Promise<Duplex>;
  close(): Promise<void>;
}

const TAIL_LINES = 20;

export function tail(text: string, lines = TAIL_LINES): string {
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

/** The error for a command that exited non-zero. Carries the redacted command, never secrets. */
export function commandFailed(target: string, cmd: Cmd, result: RunResult, what?: string): InfraktError {
  const shown = render(cmd, { redact: true });
  const stderrTail = tail(result.stderr || result.stdout);
  return new InfraktError(
    'COMMAND_FAILED',
    `${what ?? 'command'} failed on ${target} (exit ${result.exitCode})${stderrTail ? `: ${stderrTail.split('\n').at(-1)}` : ''}`,
    {
      details: { host: target, command: shown, exitCode: result.exitCode, stderrTail },
      hint: 'see the job log for the full output (infrakt job logs <id>)',
    },
  );
}

/** Runs and throws COMMAND_FAILED on a non-zero exit. */
export async function runChecked(ex: Executor, cmd: Cmd, opts?: RunOptions & { what?: string }): Promise<RunResult> {
  const result = await ex.run(cmd, opts);
  if (result.exitCode !== 0) throw commandFailed(ex.target, cmd, result, opts?.what);
  return result;
}
