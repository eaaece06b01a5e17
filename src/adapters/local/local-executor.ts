import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import type { Cmd } from '../../core/cmd/index.js';
import { render, secretsOf } from '../../core/cmd/index.js';
import { InfraktError } from '../../core/errors.js';
import {
  commandFailed,
  type ExecStats,
  type Executor,
  NO_STATS,
  type PtyOptions,
  type PtySession,
  type PutOptions,
  type RunOptions,
  type RunResult,
  type StreamName,
} from '../../core/executor.js';
import { isSecret, type Secret } from '../../core/secret.js';
import { OutputCapture } from '../ssh/capture.js';
import { cancelled, signalExitCode, timedOut } from '../ssh/exec-errors.js';
import { putCommand } from '../ssh/put-command.js';
import { openLocalPty } from './local-pty.js';

const KILL_GRACE_MS = 3_000;

/**
 * The Executor for a server whose host is `local`: `sh -c` on this machine, each command the leader
 * of its own process group (detached) so timeout/cancel kill everything it started.
 */
export class LocalExecutor implements Executor {
  readonly target = 'local';
  readonly #children = new Set<ChildProcess>();
  readonly #isRoot = process.getuid?.() === 0;
  #commands = 0;

  async run(cmd: Cmd, opts: RunOptions = {}): Promise<RunResult> {
    const secrets: Secret[] = [
      ...(secretsOf(cmd) as Secret[]),
      ...(opts.secrets ?? []),
      ...(isSecret(opts.stdin) ? [opts.stdin] : []),
    ];
    const capture = new OutputCapture(opts.onLine, secrets);
    const started = performance.now();
    const exitCode = await this.#spawn('/bin/sh', render(cmd), render(cmd, { redact: true }), opts, capture);
    const { stdout, stderr } = capture.finish();
    this.#commands++;
    return { exitCode, stdout, stderr, durationMs: Math.round(performance.now() - started) };
  }

  /** The user's command line through their login shell ($SHELL), as `server exec` runs it. */
  async runLine(line: string, opts: RunOptions = {}): Promise<RunResult> {
    const capture = new OutputCapture(opts.onLine, opts.secrets ?? []);
    const started = performance.now();
    const shell = process.env.SHELL || '/bin/sh';
    const exitCode = await this.#spawn(shell, line, line, opts, capture);
    const { stdout, stderr } = capture.finish();
    this.#commands++;
    return { exitCode, stdout, stderr, durationMs: Math.round(performance.now() - started) };
  }

  stream(cmd: Cmd, onLine: (stream: StreamName, line: string) => void, opts: RunOptions = {}): Promise<RunResult> {
    return this.run(cmd, { ...opts, onLine });
  }

  async runWithInput(cmd: Cmd, input: Readable, opts: Omit<RunOptions, 'stdin'> = {}): Promise<RunResult> {
    const capture = new OutputCapture(opts.onLine, [...(secretsOf(cmd) as Secret[]), ...(opts.secrets ?? [])]);
    const started = performance.now();
    const exitCode = await this.#spawn('/bin/sh', render(cmd), render(cmd, { redact: true }), opts, capture, input);
    const { stdout, stderr } = capture.finish();
    this.#commands++;
    return { exitCode, stdout, stderr, durationMs: Math.round(performance.now() - started) };
  }

  #spawn(
    shell: string,
    command: string,
    shown: string,
    opts: RunOptions,
    capture: OutputCapture,
    input?: Readable,
  ): Promise<number> {
    return new Promise((resolve, reject) => {
      if (opts.signal?.aborted) return reject(cancelled(this.target, shown));
      const child = spawn(shell, ['-c', command], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      this.#children.add(child);
      let stopping: InfraktError | null = null;
      let killTimer: NodeJS.Timeout | undefined;
      const stop = (err: InfraktError) => {
        if (stopping) return;
        stopping = err;
        killGroup(child, 'SIGTERM');
        killTimer = setTimeout(() => {
          killGroup(child, 'SIGKILL');
          // A process that left the group may still hold our pipes: stop waiting for them.
          setTimeout(() => {
            child.stdout.destroy();
            child.stderr.destroy();
          }, 1_000).unref();
        }, KILL_GRACE_MS);
      };
      const onAbort = () => stop(cancelled(this.target, shown));
      const timer =
        opts.timeoutMs && opts.timeoutMs > 0
          ? setTimeout(() => stop(timedOut(this.target, shown, opts.timeoutMs ?? 0)), opts.timeoutMs)
          : undefined;
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      child.stdout.on('data', (b: Buffer) => capture.push('stdout', b));
      child.stderr.on('data', (b: Buffer) => capture.push('stderr', b));
      child.stdin.on('error', () => {}); // the command may exit without reading its stdin
      child.once('error', (e) => {
        stopping ??= new InfraktError('COMMAND_FAILED', `cannot start ${shell}: ${e.message}`);
      });
      // 'close' (all output read), like an SSH channel: a background process holding the pipes
      // keeps the command running, as it does over ssh.
      child.once('close', (code, sig) => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        this.#children.delete(child);
        const finish = () => {
          if (killTimer) clearTimeout(killTimer);
          if (stopping) return reject(stopping);
          resolve(typeof code === 'number' ? code : signalExitCode(sig));
        };
        if (!stopping) return finish();
        // Report only once nothing of the group survives (TERM had its grace, then KILL).
        void groupGone(child.pid, KILL_GRACE_MS).then(() => {
          killGroup(child, 'SIGKILL');
          finish();
        });
      });
      if (input) {
        input.once('error', (e: Error) =>
          stop(new InfraktError('COMMAND_FAILED', `the upload to local failed: ${e.message}`)),
        );
        input.pipe(child.stdin);
        return;
      }
      const stdin = opts.stdin;
      child.stdin.end(stdin === undefined ? undefined : isSecret(stdin) ? stdin.reveal() : stdin);
    });
  }

  async put(path: string, content: string | Uint8Array | Secret, opts: PutOptions = {}): Promise<void> {
    // Same shell recipe as over SSH (temp file, chmod, rename), so sudo works the same way.
    const cmd = putCommand(path, opts.mode, isSecret(content), opts.sudo === true && !this.#isRoot);
    const result = await this.run(cmd, { stdin: content });
    if (result.exitCode !== 0) throw commandFailed(this.target, cmd, result, `writing ${path}`);
  }

  async get(path: string): Promise<Buffer> {
    try {
      return await readFile(path);
    } catch (e) {
      throw new InfraktError('COMMAND_FAILED', `reading ${path} failed on local: ${(e as Error).message}`, {
        details: { host: this.target, path },
      });
    }
  }

  connectTcp(port: number, host = '127.0.0.1'): Promise<Duplex> {
    return new Promise((resolve, reject) => {
      const s = tcpConnect({ host, port });
      s.once('connect', () => resolve(s));
      s.once('error', (e) =>
        reject(new InfraktError('COMMAND_FAILED', `cannot open TCP ${host}:${port} on local: ${e.message}`)),
      );
    });
  }

  pty(cmd: Cmd | null, opts: PtyOptions): Promise<PtySession> {
    return openLocalPty(cmd === null ? null : render(cmd), opts);
  }

  /** No network: commands are counted, round trips are none. */
  stats(): ExecStats {
    return { ...NO_STATS, commands: this.#commands };
  }

  async close(): Promise<void> {
    for (const child of this.#children) killGroup(child, 'SIGKILL');
    this.#children.clear();
  }
}

async function groupGone(pid: number | undefined, graceMs: number): Promise<void> {
  if (pid === undefined) return;
  const until = performance.now() + graceMs;
  while (performance.now() < until) {
    if (!(await groupAlive(pid))) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Zombies don't count: an init that reaps slowly would keep kill(-pgid, 0) succeeding.
async function groupAlive(pgid: number): Promise<boolean> {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d));
  } catch {
    return true; // no /proc: trust kill(0)
  }
  for (const pid of pids) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      // Fields after the ")" that closes the command name: state ppid pgrp ...
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') return true;
    } catch {
      // exited while we looked
    }
  }
  return false;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}
