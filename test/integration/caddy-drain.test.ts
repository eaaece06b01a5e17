// The deploy's drain on this machine's real Caddy: the switch keeps the previous release's upstream in the
// pool behind the new one (`lb_policy first`), so Caddy's admin API goes on counting the requests in flight to
// it, and `drainUpstreams` (run through the real /bin/sh and curl) waits until none is left — up to its timeout,
// or a fixed pause where Caddy cannot tell. Upstreams are node servers on loopback in this process.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { renderCaddyfile } from '../../src/core/caddy/render.js';
import { render } from '../../src/core/cmd/index.js';
import { type DrainOutcome, drainUpstreams, parseDrain } from '../../src/core/commands/caddy.js';
import { proxySettingsSchema } from '../../src/core/schemas/server.js';
import { type CaddyInstance, caddyAvailable, freePort, httpGet, startCaddy } from '../harness/caddy.js';

const DOMAIN = 'drain.test';

interface Upstream {
  readonly port: number;
  readonly name: string;
  /** Resolves when the next /slow or /hold request has arrived (it is then in flight). */
  nextSlow(): Promise<void>;
  /** Answers every /hold request held so far. */
  release(): void;
  close(): Promise<void>;
}

/** `/slow?ms=N` answers after N ms, `/hold` when released; anything else at once. The body is the upstream's name. */
async function upstream(name: string): Promise<Upstream> {
  const waiting: (() => void)[] = [];
  const held: (() => void)[] = [];
  const srv: Server = createServer((req, res) => {
    const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? 0);
    if (req.url?.startsWith('/slow') || req.url?.startsWith('/hold')) for (const w of waiting.splice(0)) w();
    if (req.url?.startsWith('/hold')) held.push(() => res.end(name));
    else setTimeout(() => res.end(name), ms);
  });
  const port = await freePort();
  await new Promise<void>((ok) => srv.listen(port, '127.0.0.1', ok));
  return {
    port,
    name,
    nextSlow: () => new Promise<void>((ok) => waiting.push(ok)),
    release: () => {
      for (const h of held.splice(0)) h();
    },
    close: () =>
      new Promise<void>((ok) => {
        srv.closeAllConnections();
        srv.close(() => ok());
      }),
  };
}

/** The site blocks infrakt renders for these routes (the harness adds its own global options). */
function sites(caddy: CaddyInstance, upstreamPort: number, drainingPorts: number[] = []): string {
  const proxy = proxySettingsSchema.parse({
    tls: 'off',
    httpPort: caddy.httpPort,
    httpsPort: caddy.httpsPort,
    adminAddress: caddy.adminAddress,
  });
  const text = renderCaddyfile({ proxy, routes: [{ domain: DOMAIN, upstreamPort, drainingPorts }] });
  return text.slice(text.indexOf('\n}\n') + 3);
}

/** Runs the drain as a server would (its rendered text through /bin/sh), without blocking this process. */
function drain(o: Parameters<typeof drainUpstreams>[0]): Promise<{ outcome: DrainOutcome | null; stdout: string }> {
  return new Promise((done, fail) => {
    const child = spawn('/bin/sh', ['-c', render(drainUpstreams(o))], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.on('error', fail);
    child.on('close', (code) =>
      code === 0 ? done({ outcome: parseDrain(stdout), stdout }) : fail(new Error(`drain exited ${code}: ${stdout}`)),
    );
  });
}

describe.skipIf(!caddyAvailable())('drain of the previous release through Caddy (real Caddy, /bin/sh, curl)', () => {
  let dir: string;
  let caddy: CaddyInstance;
  let a: Upstream;
  let b: Upstream;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ikt-test-drain-'));
    [a, b] = [await upstream('A'), await upstream('B')];
    caddy = await startCaddy({ dir, sites: '' });
  });
  afterEach(async () => {
    // Back to "A serves" for the next case.
    const r = await caddy.reload(sites(caddy, a.port));
    expect(r.code).toBe(0);
  });
  afterAll(async () => {
    a?.release();
    await caddy?.stop();
    await a?.close();
    await b?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A request through Caddy to A (`/slow?ms=N` or `/hold`), in flight once this resolves (its response: `done`). */
  async function slowThroughA(path: string) {
    const arrived = a.nextSlow();
    const done = httpGet(caddy.httpPort, path, { host: DOMAIN, timeoutMs: 60_000 }).then((r) => ({
      ...r,
      endedAt: performance.now(),
    }));
    await arrived;
    return { done };
  }

  it('waits for the request in flight to the previous upstream while new requests go to the new one', async () => {
    expect((await caddy.reload(sites(caddy, a.port))).code).toBe(0);
    expect((await httpGet(caddy.httpPort, '/', { host: DOMAIN })).body).toBe('A');
    // Long enough for the drain's first poll to see it even on a loaded machine.
    const slow = await slowThroughA('/slow?ms=3000');
    // The switch: B first, A kept in the pool behind it.
    expect((await caddy.reload(sites(caddy, b.port, [a.port]))).code).toBe(0);
    const drained = drain({ adminAddress: caddy.adminAddress, ports: [a.port], timeoutSec: 60, fallbackMs: 100 });
    for (let i = 0; i < 5; i++) expect((await httpGet(caddy.httpPort, '/', { host: DOMAIN })).body).toBe('B');
    const r = await drained;
    const endedAt = performance.now();
    expect(r.outcome).toEqual({ kind: 'drained', mostInFlight: 1 });
    // The slow request finished, answered by A, before the drain ended.
    const s = await slow.done;
    expect(s).toMatchObject({ status: 200, body: 'A' });
    expect(s.endedAt).toBeLessThanOrEqual(endedAt);
  });

  it('ends at once when nothing is in flight', async () => {
    expect((await caddy.reload(sites(caddy, b.port, [a.port]))).code).toBe(0);
    const r = await drain({ adminAddress: caddy.adminAddress, ports: [a.port], timeoutSec: 60, fallbackMs: 100 });
    expect(r.outcome).toEqual({ kind: 'drained', mostInFlight: 0 });
  });

  it('gives up at its timeout, saying how many requests are still in flight', async () => {
    const slow = await slowThroughA('/hold');
    expect((await caddy.reload(sites(caddy, b.port, [a.port]))).code).toBe(0);
    const r = await drain({ adminAddress: caddy.adminAddress, ports: [a.port], timeoutSec: 1, fallbackMs: 100 });
    const endedAt = performance.now();
    a.release();
    expect(r.outcome).toEqual({ kind: 'timeout', inFlight: 1 });
    const s = await slow.done;
    expect(s.body).toBe('A');
    expect(s.endedAt).toBeGreaterThan(endedAt);
  });

  it('pauses a fixed time where Caddy cannot tell: an upstream not in its pool, no admin API', async () => {
    // Without the switch keeping it (a plain reload to B), A leaves the pool: its requests are not counted.
    expect((await caddy.reload(sites(caddy, b.port))).code).toBe(0);
    const gone = await drain({ adminAddress: caddy.adminAddress, ports: [a.port], timeoutSec: 60, fallbackMs: 100 });
    expect(gone.outcome).toEqual({ kind: 'fixed', reason: 'not-in-pool' });
    const closed = await freePort();
    const none = await drain({ adminAddress: `127.0.0.1:${closed}`, ports: [a.port], timeoutSec: 60, fallbackMs: 100 });
    expect(none.outcome).toEqual({ kind: 'fixed', reason: 'no-answer' });
  });
});
