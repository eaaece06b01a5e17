import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { InfraktError } from '../core/errors.js';
import type { Executor } from '../core/executor.js';
import { LocalExecutor } from './local/local-executor.js';
import { DEFAULT_KEYS, resolveAuth } from './ssh/auth.js';
import { jumpSocket } from './ssh/jump.js';
import { openSsh } from './ssh/open-ssh.js';
import type { EarlySocket } from './ssh/preconnect.js';
import type { SshExecutor } from './ssh/ssh-executor.js';
import type { ServerRow } from './store/schema.js';

export type HostKeyPolicy =
  /** Verify against the pin in the row (`host_key`, else `host_key_fingerprint`); refuse when there is none. */
  | 'pinned'
  /** Verify against the pin when there is one, otherwise accept and report the key (trust on first use). */
  | 'tofu'
  /** Accept only this fingerprint (`--fingerprint` on add/trust), ignoring the current pin. */
  | { readonly fingerprint: string }
  /** Accept whatever the server presents and report it (`server trust` without --fingerprint). */
  | 'any';

export interface ConnectOptions {
  readonly signal?: AbortSignal;
  /** Default `pinned`: every operation after `server add` verifies the pinned key. */
  readonly hostKeyPolicy?: HostKeyPolicy;
  readonly connectTimeoutMs?: number;
  /** Concurrent exec channels on the connection (more are queued). Default 8. */
  readonly maxChannels?: number;
  /**
   * Run commands through persistent remote shells (default), or an exec channel per command.
   * Defaults to on unless INFRAKT_SSH_SHELL=off.
   */
  readonly persistentShell?: boolean;
  /** The operation runs one command (a status, a probe): a channel of its own saves a round trip. */
  readonly singleCommand?: boolean;
  /** A TCP connection to the server opened early (the CLI opens it while ssh2 loads); used or closed. */
  readonly socket?: EarlySocket;
  /** Defaults to process.env (SSH_AUTH_SOCK, INFRAKT_SSH_PASSPHRASE, INFRAKT_SSH_SHELL). */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * Reach the server through a relay (an edge device's tunnel ends there): connect to `relay` first (its own
   * pinned key and login), then to the server over a channel to the relay's 127.0.0.1:`port` (see ssh/jump.ts).
   */
  readonly via?: { readonly relay: ServerTarget; readonly port: number };
}

export type ServerTarget = Pick<
  ServerRow,
  'name' | 'host' | 'port' | 'user' | 'key_path' | 'host_key' | 'host_key_fingerprint'
> &
  Partial<Pick<ServerRow, 'status' | 'last_error'>>;

/**
 * A server with no pinned key was never reached successfully: say why from its last check, with the hint
 * that helps for that class of problem (`server trust` cannot fix a firewall or a missing key).
 */
function notPinned(server: ServerTarget): InfraktError {
  const last = server.last_error ? ` (last check: ${server.last_error})` : '';
  const test = `infrakt server test ${server.name}`;
  if (server.status === 'unreachable') {
    return new InfraktError('SSH_UNREACHABLE', `server '${server.name}' has not been reached yet${last}`, {
      hint: `check the host, the port and the firewall (sshd must be reachable from here), then run: ${test}`,
    });
  }
  if (server.status === 'auth_failed') {
    return new InfraktError('SSH_AUTH', `infrakt could not log in to server '${server.name}' yet${last}`, {
      hint: `check --key or your ssh-agent and the server's authorized_keys for user ${server.user}, then run: ${test}`,
    });
  }
  return new InfraktError('STATE', `server '${server.name}' has no pinned host key yet`, {
    hint: `run: ${test} (it pins the key it sees first), or: infrakt server trust ${server.name} --fingerprint SHA256:…`,
  });
}

export const isLocalHost = (host: string): boolean => host === 'local';

/**
 * Opens one connection to a server for one operation: the local executor for host `local`,
 * else ssh2 with the pinned host key checked before any command is sent (HOST_KEY_MISMATCH names
 * both fingerprints and `infrakt server trust <name>`). Close the executor when the operation ends.
 */
export async function connect(server: ServerTarget, opts: ConnectOptions = {}): Promise<Executor> {
  if (isLocalHost(server.host)) {
    opts.socket?.socket.destroy();
    return new LocalExecutor();
  }
  try {
    return await connectSsh(server, opts);
  } catch (e) {
    opts.socket?.socket.destroy(); // refused before ssh2 took it (no pin, no key): close it
    throw e;
  }
}

/** The ssh flavour, typed so probe/trust can read `hostKey` off the connection. */
export async function connectSsh(server: ServerTarget, opts: ConnectOptions = {}): Promise<SshExecutor> {
  const env = opts.env ?? process.env;
  const policy = opts.hostKeyPolicy ?? 'pinned';
  const hasPin = Boolean(server.host_key || server.host_key_fingerprint);
  if (policy === 'pinned' && !hasPin) throw notPinned(server);
  const expect =
    typeof policy === 'object'
      ? { fingerprint: policy.fingerprint }
      : policy === 'any' || !hasPin
        ? null
        : { hostKey: server.host_key, fingerprint: server.host_key_fingerprint };
  const auth = resolveAuth(
    { keyPath: server.key_path, agentSocket: env.SSH_AUTH_SOCK || undefined, passphrase: env.INFRAKT_SSH_PASSPHRASE },
    server.name,
  );
  const via = opts.via;
  // Through a relay: the socket is a channel to the relay's 127.0.0.1:port (jump.ts); the device's own host key
  // is verified over it like any server's.
  const socket = via
    ? await jumpSocket(
        () =>
          connectSsh(via.relay, {
            env,
            singleCommand: true,
            ...(opts.signal ? { signal: opts.signal } : {}),
            ...(opts.connectTimeoutMs ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
          }),
        via.port,
        { relay: via.relay.name, server: server.name },
      )
    : opts.socket;
  return openSsh({
    server: server.name,
    host: via ? '127.0.0.1' : server.host,
    port: via ? via.port : server.port,
    username: server.user,
    auth,
    expect,
    ...(opts.connectTimeoutMs ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
    ...(opts.maxChannels ? { maxChannels: opts.maxChannels } : {}),
    persistentShell: opts.persistentShell ?? env.INFRAKT_SSH_SHELL !== 'off',
    ...(opts.singleCommand ? { singleCommand: true } : {}),
    ...(socket ? { socket } : {}),
    signal: opts.signal,
  });
}

/** Whether there is anything to log in with when no key file is given: an ssh-agent or a default ~/.ssh key. */
export function defaultCredentialsAvailable(env: NodeJS.ProcessEnv = process.env, home = homedir()): boolean {
  if (env.SSH_AUTH_SOCK) return true;
  return DEFAULT_KEYS.some((k) => existsSync(join(home, '.ssh', k)));
}
