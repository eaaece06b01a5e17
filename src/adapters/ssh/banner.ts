import { connect as tcpConnect } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * The first line an SSH server sends (`SSH-2.0-…`), or null when none came within the time. An edge tunnel is
 * up only when its forward leads to a live sshd: a listener left behind by a dead session accepts the connection
 * but never answers, so accepting alone proves nothing.
 */
export function readBanner(sock: Duplex, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    let buf = '';
    let settled = false;
    const done = (v: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.removeAllListeners('data');
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(null), timeoutMs);
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(buf.startsWith('SSH-') ? buf.slice(0, nl).trim() : null);
      else if (buf.length > 512) done(null);
    });
    sock.on('error', () => done(null));
    sock.on('close', () => done(null));
  });
}

/** `readBanner` on a TCP connection to host:port (refused or silent: null). */
export function tcpBanner(host: string, port: number, timeoutMs: number): Promise<string | null> {
  return readBanner(tcpConnect({ host, port }), timeoutMs);
}
