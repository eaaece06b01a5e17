// A database created over the HTTP API (harness sshd + real Docker): 202 + job, followed over SSE,
// the connection string handed out exactly once, never in the job record or the stream; then backup
// and destroy as jobs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../src/adapters/local/home.js';
import { loadApiKey } from '../../src/adapters/secrets/api-key.js';
import { type RunningServer, startApiServer } from '../../src/api/server.js';
import { run, shouldRunDockerTests } from '../harness/docker.js';
import { readSse } from './api-sse-client.js';
import { type DbEnv, dbEnv } from './db-harness.js';

const runIt = await shouldRunDockerTests();

describe.skipIf(!runIt)('databases over the API (sshd, Docker)', () => {
  let env: DbEnv;
  let srv: RunningServer;
  let key: string;
  let name: string;
  const call = (path: string, init: RequestInit & { json?: unknown } = {}) =>
    fetch(`${srv.url}${path}`, {
      ...init,
      headers: { 'X-API-Key': key, ...(init.json !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
    });
  const follow = async (jobId: string) => {
    const sse = await readSse(`${srv.url}/api/jobs/${jobId}/events`, { 'X-API-Key': key });
    const end = await sse.waitFor((e) => e.event === 'end', 240_000);
    await sse.closed;
    return {
      end: JSON.parse(end.data) as { status: string; error: unknown },
      text: sse.events.map((e) => e.data).join('\n'),
    };
  };

  beforeAll(async () => {
    env = await dbEnv();
    name = `${env.prefix}-cache`;
    srv = await startApiServer({
      port: 0,
      host: '127.0.0.1',
      paths: resolvePaths({ INFRAKT_HOME: env.home }),
      log: () => {},
    });
    key = loadApiKey(srv.apiKeyFile);
  }, 300_000);

  afterAll(async () => {
    await srv?.close();
    await env?.close();
  }, 120_000);

  it('create → 202; the connection string is claimed once and works; not in the job or its stream', async () => {
    const res = await call('/api/databases', {
      method: 'POST',
      json: { server: env.server, name, type: 'redis', version: '7' },
    });
    expect(res.status).toBe(202);
    const { jobId } = (await res.json()) as { jobId: string };
    const { end, text } = await follow(jobId);
    expect(end).toMatchObject({ status: 'succeeded' });

    const claim = await call(`/api/jobs/${jobId}/credentials`, { method: 'POST' });
    expect(claim.status).toBe(200);
    const creds = (await claim.json()) as { connectionString: string };
    const url = new URL(creds.connectionString);
    const password = decodeURIComponent(url.password);
    expect(password.length).toBeGreaterThanOrEqual(24);
    expect((await call(`/api/jobs/${jobId}/credentials`, { method: 'POST' })).status).toBe(404);

    expect(text).not.toContain(password);
    expect(JSON.stringify(await (await call(`/api/jobs/${jobId}`)).json())).not.toContain(password);
    expect(JSON.stringify(await (await call('/api/databases')).json())).not.toContain(password);

    const ping = await run('redis-cli', ['-h', url.hostname, '-p', url.port, '--no-auth-warning', 'PING'], {
      env: { ...process.env, REDISCLI_AUTH: password },
    });
    expect(ping.stdout.trim()).toBe('PONG');
    const view = (await (await call(`/api/databases/${name}`)).json()) as { type: string; status: string };
    expect(view).toMatchObject({ type: 'redis', status: 'running' });
  });

  it('backup and destroy run as jobs', async () => {
    const b = await call(`/api/databases/${name}/backups`, { method: 'POST' });
    expect(b.status).toBe(202);
    expect((await follow(((await b.json()) as { jobId: string }).jobId)).end.status).toBe('succeeded');
    const list = (await (await call(`/api/databases/${name}/backups`)).json()) as { backups: { verified: boolean }[] };
    expect(list.backups.length).toBe(1);
    expect(list.backups[0]?.verified).toBe(true);

    const d = await call(`/api/databases/${name}`, { method: 'DELETE' });
    expect(d.status).toBe(202);
    expect((await follow(((await d.json()) as { jobId: string }).jobId)).end.status).toBe('succeeded');
    expect(await (await call('/api/databases')).json()).toEqual([]);
  });
});
