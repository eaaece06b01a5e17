import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface ProbeTarget {
  /** Address to connect to (the app's server), not resolved from the domain. */
  address: string;
  port: number;
  https: boolean;
  /** Verify the certificate against `hostname` (public certificates); off for Caddy's internal CA. */
  verifyTls: boolean;
  /** The app's domain: Host header and TLS server name. */
  hostname: string;
  path: string;
  timeoutMs: number;
}

export interface ProbeResult {
  status: number | null;
  ms: number;
  error: string | null;
}

/**
 * One GET of an app's health path through its server's proxy, the way a visitor's request arrives (Host and
 * SNI are the domain), without depending on DNS. The body is read and dropped (at most 64 KiB).
 */
export function probeHttp(t: ProbeTarget): Promise<ProbeResult> {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: ProbeResult) => {
      if (!settled) {
        settled = true;
        resolve(r);
      }
    };
    const common = {
      host: t.address,
      port: t.port,
      path: t.path,
      method: 'GET',
      agent: false as const,
      headers: { host: t.hostname, 'user-agent': 'infrakt-monitor', accept: '*/*' },
    };
    const req = t.https
      ? httpsRequest({ ...common, servername: t.hostname, rejectUnauthorized: t.verifyTls })
      : httpRequest(common);
    const timer = setTimeout(() => {
      req.destroy();
      done({ status: null, ms: ms(), error: `no answer within ${t.timeoutMs} ms` });
    }, t.timeoutMs);
    req.on('response', (res) => {
      let read = 0;
      res.on('data', (b: Buffer) => {
        read += b.length;
        if (read > 64 * 1024) res.destroy();
      });
      const end = () => {
        clearTimeout(timer);
        done({ status: res.statusCode ?? null, ms: ms(), error: null });
      };
      res.on('end', end);
      res.on('close', end);
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      done({ status: null, ms: ms(), error: e.code ? `${e.code}: ${e.message}` : e.message });
    });
    req.end();
  });
}
