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

export interface PtyOptions {
  readonly cols: number;
  readonly rows: number;
  /** TERM for the remote program (default xterm-256color). */
  readonly term?: string;
}

/**
 * An interactive program on a pseudo-terminal of the server (`app shell`, the web terminal). Output is the raw
 * terminal stream (stdout and stderr merged by the terminal); nothing is captured or logged.
 */
export interface PtySession {
  write(data: string | Uint8Array): void;
  /** New window size: the program gets SIGWINCH. */
  resize(cols: number, rows: number): void;
  onData(listener: (chunk: Buffer) => void): void;
  /** Flow control for a slow reader (the web terminal): stop reading output, so the program blocks on write. */
  pause(): void;
  resume(): void;
  /** The program's exit status once it ended (or 129 when the session was hung up). */
  readonly exited: Promise<number>;
  /** Hangs up: the terminal closes and the remote program gets SIGHUP, like closing an ssh window. */
  close(): void;
}

/**
 * What an executor cost so far (for job records and benchmarks). The ssh executor runs commands
 * through a persistent remote shell: the first command on a shell costs a channel open, the start
 * of its program and the command (3 round trips), every later one costs 1.
 */
export interface ExecStats {
  /** SSH handshakes made (1 per ssh executor, 0 for the local one). */
  readonly handshakes: number;
  /** Remote commands: run, stream, put, get and runLine count one each (kill helpers do not). */
  readonly commands: number;
  /**
   * Request/response exchanges after the handshake, each the network's round-trip time at least:
   * opening a channel 1, starting its program 1, each command 1 (kill helpers included), opening a
   * TCP forward (connectTcp) 1, the traffic on it being the caller's. Concurrent
   * exchanges each count, so this is an upper bound on the sequential latency they add.
   */
  readonly roundTrips: number;
  /** SSH channels opened: persistent shells, channels of their own for single commands, kill helpers, TCP forwards. */
  readonly channels: number;
  /** Persistent shells started (more than 1 only for concurrent commands, or after a shell died). */
  readonly shells: number;
  /** Commands that ran on a channel of their own instead of a shell, by reason. */
  readonly ownChannel: Readonly<Record<string, number>>;
}

export const NO_STATS: ExecStats = {
  handshakes: 0,
  commands: 0,
  roundTrips: 0,
  channels: 0,
  shells: 0,
  ownChannel: {},
};

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
  /**
   * A user's own command line, run the way `ssh host '<line>'` runs it: by the account's login
   * shell, with its syntax and start-up files (`server exec`). Timeout and cancel kill it.
   */
  runLine(line: string, opts?: RunOptions): Promise<RunResult>;
  /** A TCP stream to host:port as seen from the server (default 127.0.0.1), e.g. for health checks. */
  connectTcp(port: number, host?: string): Promise<Duplex>;
  /**
   * Starts `cmd` (null: the account's login shell) on a pseudo-terminal of its own, outside any command
   * framing, so that full-screen programs, job control and Ctrl-C work as in `ssh -t`.
   */
  pty(cmd: Cmd | null, opts: PtyOptions): Promise<PtySession>;
  /** Counters since the executor opened (round trips, commands, channels). */
  stats(): ExecStats;
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
