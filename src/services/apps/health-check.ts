import * as docker from '../../core/commands/docker.js';
import { healthRequest, isHealthy, parseHttpStatus } from '../../core/commands/http.js';
import { InfraktError } from '../../core/errors.js';
import type { Executor } from '../../core/executor.js';
import type { HealthCheck } from '../../core/schemas/app.js';

const PROBE_TIMEOUT_MS = 5000;

/** One HTTP GET through a TCP stream the executor opens on the server: the status code, or the reason it failed. */
export async function probe(
  ex: Executor,
  port: number,
  path: string,
): Promise<{ status: number | null; error?: string }> {
  let sock: Awaited<ReturnType<Executor['connectTcp']>>;
  try {
    sock = await ex.connectTcp(port);
  } catch (e) {
    return { status: null, error: e instanceof Error ? e.message : String(e) };
  }
  return new Promise((resolve) => {
    let head = '';
    const done = (r: { status: number | null; error?: string }) => {
      clearTimeout(timer);
      sock.removeAllListeners('data');
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(
      () => done({ status: null, error: `no answer within ${PROBE_TIMEOUT_MS} ms` }),
      PROBE_TIMEOUT_MS,
    );
    sock.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const status = parseHttpStatus(head);
      if (status !== null) done({ status });
      else if (head.length > 8192) done({ status: null, error: 'not an HTTP response' });
    });
    sock.on('error', (e: Error) => done({ status: null, error: e.message }));
    sock.on('end', () => done({ status: parseHttpStatus(head), error: 'connection closed before a response' }));
    sock.on('close', () => done({ status: parseHttpStatus(head), error: 'connection closed before a response' }));
    sock.write(healthRequest(path));
  });
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

/**
 * Polls the release until it answers 200-399 on the health path, or fails with HEALTH_CHECK_FAILED once the
 * deadline passes or its containers stopped running (a crashing release fails fast, not at the deadline).
 */
export async function waitForHealthyResponse(
  ex: Executor,
  o: {
    port: number;
    health: HealthCheck;
    project: string;
    signal?: AbortSignal;
    now?: () => number;
    log?: (l: string) => void;
  },
): Promise<{ status: number; attempts: number; ms: number }> {
  const now = o.now ?? Date.now;
  const started = now();
  let attempts = 0;
  let last = 'no attempt yet';
  for (;;) {
    if (o.signal?.aborted) throw new InfraktError('CANCELLED', 'deploy cancelled during the health check');
    attempts++;
    const r = await probe(ex, o.port, o.health.path);
    if (isHealthy(r.status) || (r.status !== null && o.health.accept?.includes(r.status)))
      return { status: r.status!, attempts, ms: now() - started };
    last = r.status !== null ? `HTTP ${r.status} on ${o.health.path}` : (r.error ?? 'no answer');
    if (attempts % 5 === 0) o.log?.(`not healthy yet: ${last}`);
    if (attempts % 3 === 0 && (await ex.run(docker.projectRunning(o.project))).exitCode !== 0) {
      throw new InfraktError('HEALTH_CHECK_FAILED', `the new release stopped running (last probe: ${last})`);
    }
    if (now() - started >= o.health.timeoutMs) {
      throw new InfraktError(
        'HEALTH_CHECK_FAILED',
        `the new release was not healthy within ${Math.round(o.health.timeoutMs / 1000)} s (last probe: ${last})`,
      );
    }
    await sleep(o.health.intervalMs, o.signal);
  }
}
