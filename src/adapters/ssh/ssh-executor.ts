import type { Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import type { Client } from 'ssh2';
import type { Cmd } from '../../core/cmd/index.js';
import { exec, raw, render, secretsOf } from '../../core/cmd/index.js';
import { InfraktError } from '../../core/errors.js';
import {
  commandFailed,
  type ExecStats,
  type Executor,
  type PtyOptions,
  type PtySession,
  type PutOptions,
  type RunOptions,
  type RunResult,
  type Stdin,
  type StreamName,
} from '../../core/executor.js';
import { isSecret, type Secret } from '../../core/secret.js';
import { OutputCapture } from './capture.js';
import { channelExec } from './channel-exec.js';
import { ExecCounters, type OwnChannelReason } from './exec-stats.js';
import type { HostKeyInfo } from './host-key.js';
import { markLoginShellLine } from './process-group.js';
import { openPtyChannel } from './pty-channel.js';
import { putCommand } from './put-command.js';
import { RemoteShell } from './remote-shell.js';
import { type ShellHost, shellExec } from './shell-exec.js';
import { ShellPool } from './shell-pool.js';

/**
 * Larger stdin goes on a channel of its own: a shell request carries stdin inside the shell text
 * (see shell-protocol.ts), which bash-as-sh reads one byte per read(2) from a pipe.
 */
export const MAX_SHELL_STDIN = 256 * 1024;
/** How long a new shell may take to say hello before shells are given up on this connection. */
const SHELL_HELLO_TIMEOUT_MS = 20_000;

const toBuffer = (s: Stdin | undefined): Buffer | undefined =>
  s === undefined ? undefined : isSecret(s) ? Buffer.from(s.reveal()) : Buffer.from(s);

/**
 * The ssh2 Executor: one connection; commands run through persistent remote shells on it (one
 * round trip each once a shell is open, see remote-shell.ts), each in its own process group so
 * timeout and cancel kill exactly that command. A command gets an exec channel of its own where a
 * shell cannot serve it, counted in `stats().ownChannel`: the server cannot run the shell (a forced
 * command, a restricted shell), its stdin is larger than MAX_SHELL_STDIN, it is a user's command
 * line for their login shell (`runLine`), or shells are turned off (INFRAKT_SSH_SHELL=off).
 */
export class SshExecutor implements Executor {
  readonly target: string;
  /** The host key this connection verified (what `server add`/`trust` pin). */
  readonly hostKey: HostKeyInfo;
  readonly #client: Client;
  readonly #pool: ShellPool;
  readonly #counters = new ExecCounters();
  readonly #user: string;
  #alive = true;
  #closed: Promise<void>;
  readonly #socket: Socket;

  constructor(
    client: Client,
    socket: Socket,
    target: string,
    user: string,
    hostKey: HostKeyInfo,
    o: { maxChannels: number; off: OwnChannelReason | null },
  ) {
    this.#client = client;
    this.#socket = socket;
    this.#user = user;
    this.target = target;
    this.hostKey = hostKey;
    const open = () => {
      this.#counters.channelOpened();
      this.#counters.shells++;
      return new RemoteShell(client, SHELL_HELLO_TIMEOUT_MS);
    };
    this.#pool = new ShellPool(o.maxChannels, open, o.off);
    this.#closed = new Promise((resolve) => {
      client.on('close', () => {
        this.#alive = false;
        resolve();
      });
    });
    // Errors after the handshake surface through the channels; keep them from crashing the process.
    client.on('error', () => {
      this.#alive = false;
    });
  }

  #host(): ShellHost {
    return {
      client: this.#client,
      target: this.target,
      pool: this.#pool,
      counters: this.#counters,
      alive: () => this.#alive,
    };
  }

  // Runs a rendered command on a shell, or on a channel of its own when its stdin is large.
  #exec(command: string, o: Parameters<typeof shellExec>[2]): Promise<number> {
    this.#counters.commands++;
    if (o.stdin && o.stdin.length > MAX_SHELL_STDIN) {
      this.#counters.ownChannelFor('large-stdin');
      return channelExec(this.#host(), command, o);
    }
    return shellExec(this.#host(), command, o);
  }

  async run(cmd: Cmd, opts: RunOptions = {}): Promise<RunResult> {
    return this.#capture(cmd, opts, (o) => this.#exec(render(cmd), o));
  }

  async runLine(line: string, opts: RunOptions = {}): Promise<RunResult> {
    return this.#capture(raw(line), opts, (o) => {
      this.#counters.commands++;
      this.#counters.ownChannelFor('login-shell');
      return channelExec(this.#host(), line, { ...o, wrap: markLoginShellLine });
    });
  }

  async #capture(
    cmd: Cmd,
    opts: RunOptions,
    go: (o: Parameters<typeof shellExec>[2]) => Promise<number>,
  ): Promise<RunResult> {
    const secrets: Secret[] = [
      ...(secretsOf(cmd) as Secret[]),
      ...(opts.secrets ?? []),
      ...(isSecret(opts.stdin) ? [opts.stdin] : []),
    ];
    const capture = new OutputCapture(opts.onLine, secrets);
    const started = performance.now();
    const exitCode = await go({
      stdin: toBuffer(opts.stdin),
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      onStdout: (b) => capture.push('stdout', b),
      onStderr: (b) => capture.push('stderr', b),
      shown: render(cmd, { redact: true }),
    });
    const { stdout, stderr } = capture.finish();
    return { exitCode, stdout, stderr, durationMs: Math.round(performance.now() - started) };
  }

  stream(cmd: Cmd, onLine: (stream: StreamName, line: string) => void, opts: RunOptions = {}): Promise<RunResult> {
    return this.run(cmd, { ...opts, onLine });
  }

  async runWithInput(cmd: Cmd, input: Readable, opts: Omit<RunOptions, 'stdin'> = {}): Promise<RunResult> {
    const capture = new OutputCapture(opts.onLine, [...(secretsOf(cmd) as Secret[]), ...(opts.secrets ?? [])]);
    const started = performance.now();
    // A stream (docker save | gzip) goes on a channel of its own, like any large stdin.
    this.#counters.commands++;
    this.#counters.ownChannelFor('large-stdin');
    const exitCode = await channelExec(this.#host(), render(cmd), {
      input,
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      onStdout: (b) => capture.push('stdout', b),
      onStderr: (b) => capture.push('stderr', b),
      shown: render(cmd, { redact: true }),
    });
    const { stdout, stderr } = capture.finish();
    return { exitCode, stdout, stderr, durationMs: Math.round(performance.now() - started) };
  }

  async put(path: string, content: string | Uint8Array | Secret, opts: PutOptions = {}): Promise<void> {
    const cmd = putCommand(path, opts.mode, isSecret(content), opts.sudo === true && this.#user !== 'root');
    const result = await this.run(cmd, { stdin: content });
    if (result.exitCode !== 0) throw commandFailed(this.target, cmd, result, `writing ${path}`);
  }

  async get(path: string): Promise<Buffer> {
    const cmd = exec('cat', '--', path);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const exitCode = await this.#exec(render(cmd), {
      onStdout: (b) => out.push(b),
      onStderr: (b) => err.push(b),
      shown: render(cmd, { redact: true }),
    });
    if (exitCode !== 0) {
      const stderr = Buffer.concat(err).toString('utf8');
      throw commandFailed(this.target, cmd, { exitCode, stdout: '', stderr, durationMs: 0 }, `reading ${path}`);
    }
    return Buffer.concat(out);
  }

  connectTcp(port: number, host = '127.0.0.1'): Promise<Duplex> {
    // A forwarded channel: one round trip to open (the traffic on it is the caller's).
    this.#counters.channels++;
    this.#counters.roundTrips++;
    return new Promise((resolve, reject) => {
      this.#client.forwardOut('127.0.0.1', 0, host, port, (err, ch) => {
        if (!err) return resolve(ch);
        reject(
          new InfraktError('COMMAND_FAILED', `cannot open TCP ${host}:${port} from ${this.target}: ${err.message}`, {
            details: { host: this.target, port },
          }),
        );
      });
    });
  }

  async pty(cmd: Cmd | null, opts: PtyOptions): Promise<PtySession> {
    if (!this.#alive) throw new InfraktError('SSH_UNREACHABLE', `the connection to ${this.target} is closed`);
    return openPtyChannel(this.#client, this.target, cmd === null ? null : render(cmd), opts);
  }

  stats(): ExecStats {
    return this.#counters.snapshot();
  }

  /**
   * Says goodbye (SSH disconnect, then FIN) and drops the socket once that is written, as OpenSSH's
   * client does: waiting for the server to close its side too would cost one more round trip.
   */
  async close(): Promise<void> {
    this.#pool.close();
    if (!this.#alive) return;
    const written = new Promise<void>((resolve) => {
      if (this.#socket.writableFinished || this.#socket.destroyed) return resolve();
      this.#socket.once('finish', () => resolve());
      this.#socket.once('close', () => resolve());
    });
    this.#client.end();
    await Promise.race([written, this.#closed, new Promise((r) => setTimeout(r, 2_000).unref())]);
    this.#socket.destroy();
    this.#alive = false;
  }
}
