import { type Socket, connect as tcpConnect } from 'node:net';

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
