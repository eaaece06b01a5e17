import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { Duplex } from 'node:stream';
import ssh2, { type Client } from 'ssh2';
import type { Cmd } from '../../core/cmd/index.js';
import { and, exec, or, render, secretsOf, sudo, toFile } from '../../core/cmd/index.js';
import { InfraktError } from '../../core/errors.js';
import {
  commandFailed,
  type Executor,
  type PutOptions,
  type RunOptions,
  type RunResult,
  type Stdin,
  type StreamName,
} from '../../core/executor.js';
import { isSecret, type Secret } from '../../core/secret.js';
import type { SshAuth } from './auth.js';
import { OutputCapture } from './capture.js';
import { channelExec } from './channel-exec.js';
import { mapConnectError } from './errors.js';
import { expectedHostKey, type HostKeyInfo, hostKeyFromBlob, preferHostKeyType } from './host-key.js';
import { Slots } from './slots.js';

export interface SshConnectOptions {
  /** Server name, for messages and the re-trust hint. */
  readonly server: string;
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly auth: SshAuth;
  /**
   * The pin to verify before anything else happens: a stored `<type> <base64>` key and/or a
   * `SHA256:` fingerprint. `null` accepts any key (first use); the caller pins `executor.hostKey`.
   */
  readonly expect: { readonly hostKey?: string | null; readonly fingerprint?: string | null } | null;
  readonly connectTimeoutMs?: number;
  readonly keepaliveMs?: number;
  /** Concurrent exec channels per connection; more are queued. OpenSSH's MaxSessions default is 10. */
  readonly maxChannels?: number;
  readonly signal?: AbortSignal | undefined;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_CHANNELS = 8;

const toBuffer = (s: Stdin | undefined): Buffer | undefined =>
  s === undefined ? undefined : isSecret(s) ? Buffer.from(s.reveal()) : Buffer.from(s);

/** Opens one SSH connection (verifying the pinned host key before authenticating). */
export function openSsh(o: SshConnectOptions): Promise<SshExecutor> {
  const target = `${o.username}@${o.host}:${o.port}`;
  let pin: ReturnType<typeof expectedHostKey>;
  try {
    pin = expectedHostKey(o.server, o.expect);
  } catch (e) {
    return Promise.reject(e);
  }
  const { pinned, fingerprint: expectedFp } = pin;
  const prefer = pinned ? preferHostKeyType(pinned.type) : null;
  let presented: HostKeyInfo | null = null;
  let mismatch: { expected: string; presented: HostKeyInfo } | null = null;
  const client = new ssh2.Client();

  return new Promise<SshExecutor>((resolve, reject) => {
    let done = false;
    const fail = (e: unknown) => {
      if (done) return;
      done = true;
      o.signal?.removeEventListener('abort', onAbort);
      client.end();
      client.destroy?.();
      reject(mapConnectError(e, { target, server: o.server, auth: o.auth.describe, presented, mismatch }));
    };
    const onAbort = () => fail(new InfraktError('CANCELLED', `connecting to ${o.server} (${target}) was cancelled`));
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });

    client.once('ready', () => {
      if (done) return;
      done = true;
      o.signal?.removeEventListener('abort', onAbort);
      if (!presented) return fail(new Error('server presented no host key'));
      resolve(new SshExecutor(client, target, o.username, presented, o.maxChannels ?? DEFAULT_MAX_CHANNELS));
    });
    client.on('error', fail); // 'on': ssh2 may emit more than one error while tearing down
    client.once('close', () => fail(new Error('connection closed during the handshake')));
    client.connect({
      host: o.host,
      port: o.port,
      username: o.username,
      ...(o.auth.privateKey ? { privateKey: o.auth.privateKey } : {}),
      ...(o.auth.passphrase ? { passphrase: o.auth.passphrase } : {}),
      ...(o.auth.agent ? { agent: o.auth.agent } : {}),
      readyTimeout: o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      keepaliveInterval: o.keepaliveMs ?? 15_000,
      keepaliveCountMax: 3,
      // Ask for the pinned key's type first so a server with several host keys shows the pinned one.
      ...(prefer ? { algorithms: { serverHostKey: prefer as never } } : {}),
      // Runs before authentication: a mismatch ends the connection before any command is sent.
      hostVerifier: (blob: Buffer) => {
        presented = hostKeyFromBlob(blob);
        if (!expectedFp) return true;
        if (presented.fingerprint === expectedFp) return true;
        mismatch = { expected: expectedFp, presented };
        return false;
      },
    });
  });
}

/** The ssh2 Executor: one connection, several exec channels (capped), process-group kill. */
export class SshExecutor implements Executor {
  readonly target: string;
  /** The host key this connection verified (what `server add`/`trust` pin). */
  readonly hostKey: HostKeyInfo;
  readonly #client: Client;
  readonly #slots: Slots;
  readonly #user: string;
  #alive = true;
  #closed: Promise<void>;

  constructor(client: Client, target: string, user: string, hostKey: HostKeyInfo, maxChannels: number) {
    this.#client = client;
    this.#user = user;
    this.target = target;
    this.hostKey = hostKey;
    this.#slots = new Slots(maxChannels);
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

  #host() {
    return { client: this.#client, target: this.target, slots: this.#slots, alive: () => this.#alive };
  }

  async run(cmd: Cmd, opts: RunOptions = {}): Promise<RunResult> {
    const secrets: Secret[] = [
      ...(secretsOf(cmd) as Secret[]),
      ...(opts.secrets ?? []),
      ...(isSecret(opts.stdin) ? [opts.stdin] : []),
    ];
    const capture = new OutputCapture(opts.onLine, secrets);
    const started = performance.now();
    const exitCode = await channelExec(this.#host(), render(cmd), {
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

  async put(path: string, content: string | Uint8Array | Secret, opts: PutOptions = {}): Promise<void> {
    const cmd = putCommand(path, opts.mode, isSecret(content), opts.sudo === true && this.#user !== 'root');
    const result = await this.run(cmd, { stdin: content });
    if (result.exitCode !== 0) throw commandFailed(this.target, cmd, result, `writing ${path}`);
  }

  async get(path: string): Promise<Buffer> {
    const cmd = exec('cat', '--', path);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const exitCode = await channelExec(this.#host(), render(cmd), {
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

  async close(): Promise<void> {
    if (!this.#alive) return;
    this.#client.end();
    await Promise.race([this.#closed, new Promise((r) => setTimeout(r, 2_000).unref())]);
  }
}

/**
 * Atomic write: content arrives on stdin into a temp file (umask 077, so it is never readable by
 * others), gets its mode, then `mv` replaces the target in one rename. Without a mode the old
 * file's mode is kept (0600 for secrets, else 0644 for new files).
 */
export function putCommand(path: string, mode: number | undefined, secretContent: boolean, asRoot: boolean): Cmd {
  const dir = posix.dirname(path);
  const tmp = posix.join(dir, `.${posix.basename(path)}.infrakt-${randomBytes(6).toString('hex')}`);
  const octal = (m: number) => (m & 0o7777).toString(8).padStart(4, '0');
  const chmod =
    mode !== undefined
      ? exec('chmod', octal(mode), tmp)
      : or(
          and(exec('test', '-e', path), exec('chmod', `--reference=${path}`, tmp)),
          exec('chmod', secretContent ? '0600' : '0644', tmp),
        );
  const write = or(
    and(exec('umask', '077'), toFile(exec('cat'), tmp), chmod, exec('mv', '-f', '--', tmp, path)),
    and(exec('rm', '-f', tmp), exec('false')),
  );
  return asRoot ? sudo(write) : write;
}
