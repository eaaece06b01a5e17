// A deploy started over the HTTP API streams its steps to an SSE client until `succeeded`,
// against a harness server: real sshd, Docker and Caddy (see test/e2e/deploy-harness.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../src/adapters/local/home.js';
import { loadApiKey } from '../../src/adapters/secrets/api-key.js';
import { type RunningServer, startApiServer } from '../../src/api/server.js';
import { type DeployEnv, deployEnv, get, rand, removeAppImages } from '../e2e/deploy-harness.js';
import { ensureTestImages } from '../harness/docker.js';
import { readSse } from './api-sse-client.js';

describe('deploy over the API (sshd, Docker, Caddy)', () => {
  let env: DeployEnv;
  let srv: RunningServer;
  let key: string;
  const app = `ikt-test-${rand()}`;
  const domain = `${app}.test`;
  const call = (path: string, init: RequestInit & { json?: unknown } = {}) =>
    fetch(`${srv.url}${path}`, {
      ...init,
      headers: { 'X-API-Key': key, ...(init.json !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
    });

  beforeAll(async () => {
    await ensureTestImages();
    env = await deployEnv();
    srv = await startApiServer({
      port: 0,
      host: '127.0.0.1',
      paths: resolvePaths({ INFRAKT_HOME: env.home }),
      log: () => {},
    });
    key = loadApiKey(srv.apiKeyFile);
  });

  afterAll(async () => {
    await srv?.close();
    await env?.close();
    removeAppImages(app);
  });

  it('creates the app, deploys it (202 + job), and the SSE client sees every step until succeeded', async () => {
    const created = await call('/api/apps', {
      method: 'POST',
      json: {
        server: env.server,
        name: app,
        image: 'infrakt-test/web:1',
        port: 3000,
        domain,
        health: { path: '/health', timeoutMs: 20_000 },
      },
    });
    expect(created.status).toBe(201);
    await call(`/api/apps/${app}/env`, { method: 'PUT', json: { vars: { APP_MESSAGE: 's3cret-value' } } });

    const res = await call(`/api/apps/${app}/deploy`, { method: 'POST' });
    expect(res.status).toBe(202);
    const { jobId, job } = (await res.json()) as { jobId: string; job: { steps: { name: string }[] } };
    expect(res.headers.get('location')).toBe(`/api/jobs/${jobId}`);
    const planned = job.steps.map((s) => s.name);
    expect(planned.length).toBeGreaterThan(3);

    const sse = await readSse(`${srv.url}/api/jobs/${jobId}/events`, { 'X-API-Key': key });
    const end = await sse.waitFor((e) => e.event === 'end', 120_000);
    await sse.closed;
    expect(JSON.parse(end.data)).toMatchObject({ status: 'succeeded', error: null });
    const finished = sse.events
      .filter((e) => e.event === 'step')
      .map((e) => JSON.parse(e.data) as { name: string; status: string })
      .filter((s) => ['succeeded', 'unchanged', 'skipped'].includes(s.status))
      .map((s) => s.name);
    // Every planned step reported its outcome on the stream (or in the snapshot, if it was that quick).
    const snapshot = JSON.parse(sse.events.find((e) => e.event === 'job')!.data) as {
      steps: { name: string; status: string }[];
    };
    const done = new Set([
      ...finished,
      ...snapshot.steps.filter((s) => s.status !== 'pending' && s.status !== 'running').map((s) => s.name),
    ]);
    for (const name of planned) expect(done.has(name), name).toBe(true);
    // Secrets never reach the stream.
    expect(sse.events.map((e) => e.data).join('\n')).not.toContain('s3cret-value');

    const served = await get(env.httpPort, domain);
    expect(served.status).toBe(200);
    expect(served.body).toContain('version=v1');

    const deployments = (await (await call(`/api/apps/${app}/deployments`)).json()) as {
      release: number;
      current: boolean;
    }[];
    expect(deployments[0]).toMatchObject({ release: 1, current: true });
    const dash = (await (await call('/api/dashboard')).json()) as {
      recentDeployments: { app: string; status: string }[];
    };
    expect(dash.recentDeployments[0]).toMatchObject({ app, status: 'succeeded' });
  });

  it('streams the app logs over SSE and answers the logs route', async () => {
    const logs = (await (await call(`/api/apps/${app}/logs?lines=20`)).json()) as { line: string }[];
    expect(logs.some((l) => l.line.includes('listening on'))).toBe(true);
    const sse = await readSse(`${srv.url}/api/apps/${app}/logs/stream?lines=20`, { 'X-API-Key': key });
    expect(sse.status).toBe(200);
    const line = await sse.waitFor((e) => e.event === 'log' && e.data.includes('listening on'), 30_000);
    expect(line.id).toBeDefined();
    sse.abort();
    await sse.closed;
  });

  it('server status over the API reports the harness host', async () => {
    const res = await call(`/api/servers/${env.server}/status`);
    expect(res.status).toBe(200);
    const s = (await res.json()) as { name: string; memory: unknown };
    expect(s.name).toBe(env.server);
  });
});
