import { type Socket, connect as tcpConnect } from 'node:net';
import { expectedHostKey } from './host-key.js';

/**
 * A TCP connection opened before ssh2 is loaded and handed to it as its socket: the TCP handshake
 * and sshd's start-up for the connection (it forks and re-executes itself) overlap loading ssh2
 * (~40 ms of a CLI start), and on a distant server a whole round trip does.
 */
export interface EarlySocket {
  readonly socket: Socket;
  /** The error the socket met before ssh2 took it over, if any. */
  error(): Error | null;
}

export function preconnect(host: string, port: number): EarlySocket {
  const socket = tcpConnect({ host, port });
  let error: Error | null = null;
  // Until ssh2 attaches its own listeners, an error must not crash the process: keep it for openSsh.
  socket.once('error', (e) => {
    error = e;
  });
  return { socket, error: () => error };
}

/**
 * The early connection for a server, only where connecting will go on: a server whose pin is
 * missing (under the `pinned` policy) or cannot be read is refused before any packet reaches it.
 */
export function preconnectIfPinned(
  server: {
    readonly name: string;
    readonly host: string;
    readonly port: number;
    readonly host_key: string | null;
    readonly host_key_fingerprint: string | null;
  },
  policy: unknown,
): EarlySocket | undefined {
  const hasPin = Boolean(server.host_key || server.host_key_fingerprint);
  if ((policy === undefined || policy === 'pinned') && !hasPin) return undefined;
  if (hasPin && (policy === undefined || policy === 'pinned' || policy === 'tofu')) {
    try {
      expectedHostKey(server.name, { hostKey: server.host_key, fingerprint: server.host_key_fingerprint });
    } catch {
      return undefined;
    }
  }
  return preconnect(server.host, server.port);
}
