// The API on a real loopback port: job events over SSE (fetch + X-API-Key), resume, clean close.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../src/adapters/local/home.js';
import { loadApiKey } from '../../src/adapters/secrets/api-key.js';
import { type RunningServer, startApiServer } from '../../src/api/server.js';
import { readSse } from './api-sse-client.js';

let home: string;
let srv: RunningServer;
let key: string;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'ikt-test-api-'));
  srv = await startApiServer({
    port: 0,
    host: '127.0.0.1',
    paths: resolvePaths({ INFRAKT_HOME: home }),
    log: () => {},
  });
  key = loadApiKey(srv.apiKeyFile);
});
afterAll(async () => {
  await srv?.close();
  rmSync(home, { recursive: true, force: true });
});

/** A job whose progress the test drives: each `advance()` lets one step run. */
function gatedJob(steps: string[]) {
  const gates: (() => void)[] = [];
  const waitGate = () => new Promise<void>((r) => gates.push(r));
  const started = srv.ctx.jobs.start({ kind: 'demo', target: 'sse', plannedSteps: steps }, async (job) => {
    for (const name of steps) {
      await waitGate();
      await job.step(name, async (s) => {
        s.log(`${name}: line 1`);
        s.log(`${name}: line 2`, 'stderr');
      });
    }
    return { ok: true };
  });
  return {
    started,
    async advance() {
      // The job reaches its next gate when the machine gets to it: wait with a deadline, never a count.
      const deadline = Date.now() + 60_000;
      while (gates.length === 0) {
        if (Date.now() > deadline) throw new Error('the job did not reach its next step within 60 s');
        await new Promise((r) => setTimeout(r, 5));
      }
      gates.shift()?.();
    },
  };
}

describe('infrakt API on a loopback port', () => {
  it('listens on 127.0.0.1 and enforces the key on the wire', async () => {
    expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${srv.url}/api/health`)).status).toBe(200);
    expect((await fetch(`${srv.url}/api/servers`)).status).toBe(401);
    expect((await fetch(`${srv.url}/api/servers`, { headers: { 'X-API-Key': 'nope' } })).status).toBe(403);
    expect((await fetch(`${srv.url}/api/servers`, { headers: { 'X-API-Key': key } })).status).toBe(200);
  });

  it('streams a job live: snapshot, steps, log lines with ids, status, end, then closes', async () => {
    const j = gatedJob(['fetch', 'build', 'switch']);
    const { id } = await j.started;
    const sse = await readSse(`${srv.url}/api/jobs/${id}/events`, { 'X-API-Key': key });
    expect(sse.status).toBe(200);
    const snap = await sse.waitFor((e) => e.event === 'job');
    expect(JSON.parse(snap.data).steps.map((s: { name: string }) => s.name)).toEqual(['fetch', 'build', 'switch']);
    for (let i = 0; i < 3; i++) await j.advance();
    const end = await sse.waitFor((e) => e.event === 'end');
    expect(JSON.parse(end.data)).toEqual({ status: 'succeeded', error: null });
    await sse.closed; // the server closed the stream
    const logs = sse.events.filter((e) => e.event === 'log');
    expect(logs.map((e) => JSON.parse(e.data).line)).toEqual([
      'fetch: line 1',
      'fetch: line 2',
      'build: line 1',
      'build: line 2',
      'switch: line 1',
      'switch: line 2',
    ]);
    const ids = logs.map((e) => Number(e.id));
    expect(ids.every((n, i) => i === 0 || n > ids[i - 1]!)).toBe(true);
    const stepEvents = sse.events.filter((e) => e.event === 'step').map((e) => JSON.parse(e.data));
    expect(stepEvents.filter((s) => s.status === 'running').map((s) => s.name)).toEqual(['fetch', 'build', 'switch']);
    expect(stepEvents.filter((s) => s.status === 'succeeded').map((s) => s.name)).toEqual(['fetch', 'build', 'switch']);
  });

  it('resumes after Last-Event-ID without repeating or losing lines', async () => {
    const j = gatedJob(['a', 'b']);
    const { id } = await j.started;
    const first = await readSse(`${srv.url}/api/jobs/${id}/events`, { 'X-API-Key': key });
    await j.advance();
    const seen = await first.waitFor((e) => e.event === 'log' && JSON.parse(e.data).line === 'a: line 2');
    first.abort();
    await j.advance(); // step b runs while nobody listens
    const again = await readSse(`${srv.url}/api/jobs/${id}/events`, { 'X-API-Key': key, 'Last-Event-ID': seen.id! });
    await again.waitFor((e) => e.event === 'end');
    await again.closed;
    expect(again.events.filter((e) => e.event === 'log').map((e) => JSON.parse(e.data).line)).toEqual([
      'b: line 1',
      'b: line 2',
    ]);
  });

  it('a finished job replays everything and closes at once; unknown job → 404; no key → 401', async () => {
    const h = await srv.ctx.jobs.start({ kind: 'demo', target: 'done' }, async (job) => {
      job.log('only line');
      throw new Error('boom');
    });
    await h.done.catch(() => undefined);
    const sse = await readSse(`${srv.url}/api/jobs/${h.id}/events`, { 'X-API-Key': key });
    await sse.closed;
    expect(sse.events.map((e) => e.event)).toEqual(['job', 'log', 'end']);
    expect(JSON.parse(sse.events[2]!.data).status).toBe('failed');
    expect((await fetch(`${srv.url}/api/jobs/j_missing/events`, { headers: { 'X-API-Key': key } })).status).toBe(404);
    expect((await fetch(`${srv.url}/api/jobs/${h.id}/events`)).status).toBe(401);
  });

  it('a client going away releases the stream (server closes cleanly afterwards)', async () => {
    const j = gatedJob(['x']);
    const { id } = await j.started;
    const sse = await readSse(`${srv.url}/api/jobs/${id}/events`, { 'X-API-Key': key });
    await sse.waitFor((e) => e.event === 'job');
    sse.abort();
    await sse.closed;
    await j.advance();
    await (await j.started).done;
  });
});
