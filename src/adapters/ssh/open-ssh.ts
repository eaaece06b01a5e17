import { InfraktError } from '../../core/errors.js';
import type { SshAuth } from './auth.js';
import { mapConnectError } from './errors.js';
import { expectedHostKey, type HostKeyInfo, hostKeyFromBlob, preferHostKeyType } from './host-key.js';
import { type EarlySocket, preconnect } from './preconnect.js';
import { SshExecutor } from './ssh-executor.js';
import { ssh2 } from './ssh2-module.js';

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
  /** Concurrent channels (shells included) per connection; more are queued. OpenSSH's MaxSessions default is 10. */
  readonly maxChannels?: number;
  /**
   * Run commands through persistent remote shells (default). Off: an exec channel per command, as
   * `ssh host cmd` would (slower: every command pays a channel open and the login shell's start-up).
   */
  readonly persistentShell?: boolean;
  /** The operation runs one command: it goes on a channel of its own (a shell would add a round trip). */
  readonly singleCommand?: boolean;
  readonly signal?: AbortSignal | undefined;
  /** A TCP connection to host:port opened early (see preconnect.ts); ssh2 then uses it. */
  readonly socket?: EarlySocket | undefined;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_CHANNELS = 8;
/** Opens one SSH connection (verifying the pinned host key before authenticating). */
export function openSsh(o: SshConnectOptions): Promise<SshExecutor> {
  const target = `${o.username}@${o.host}:${o.port}`;
  let pin: ReturnType<typeof expectedHostKey>;
  try {
    pin = expectedHostKey(o.server, o.expect);
  } catch (e) {
    o.socket?.socket.destroy();
    return Promise.reject(e);
  }
  const { pinned, fingerprint: expectedFp } = pin;
  // Our own socket (ssh2 would make one): close() can then drop it without waiting for the server.
  const early = o.socket ?? preconnect(o.host, o.port);
  const prefer = pinned ? preferHostKeyType(pinned.type) : null;
  let presented: HostKeyInfo | null = null;
  let mismatch: { expected: string; presented: HostKeyInfo } | null = null;
  const client = new (ssh2().Client)();

  return new Promise<SshExecutor>((resolve, reject) => {
    let done = false;
    const fail = (e: unknown) => {
      if (done) return;
      done = true;
      o.signal?.removeEventListener('abort', onAbort);
      client.end();
      client.destroy?.();
      early.socket.destroy();
      reject(mapConnectError(e, { target, server: o.server, auth: o.auth.describe, presented, mismatch }));
    };
    const onAbort = () => fail(new InfraktError('CANCELLED', `connecting to ${o.server} (${target}) was cancelled`));
    if (o.signal?.aborted) return onAbort();
    const failedEarly = early.error();
    if (failedEarly) return fail(failedEarly);
    o.signal?.addEventListener('abort', onAbort, { once: true });

    client.once('ready', () => {
      if (done) return;
      done = true;
      o.signal?.removeEventListener('abort', onAbort);
      if (!presented) return fail(new Error('server presented no host key'));
      resolve(
        new SshExecutor(client, early.socket, target, o.username, presented, {
          maxChannels: o.maxChannels ?? DEFAULT_MAX_CHANNELS,
          off: o.persistentShell === false ? 'disabled' : o.singleCommand ? 'single-command' : null,
        }),
      );
    });
    client.on('error', fail); // 'on': ssh2 may emit more than one error while tearing down
    client.once('close', () => fail(new Error('connection closed during the handshake')));
    client.connect({
      host: o.host,
      port: o.port,
      sock: early.socket,
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
