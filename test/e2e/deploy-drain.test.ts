// The drain before the previous release stops, end to end (built CLI, sshd, Docker, Caddy): a request in flight
// to the old release when a deploy switches traffic is answered by the old release, because the retirement waits
// for Caddy's count of requests in flight to its upstream to reach zero; `--drain-timeout` bounds that wait.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet } from '../harness/caddy.js';
import { type DeployEnv, DOCKER, deployEnv, get, rand, removeAppImages } from './deploy-harness.js';

interface JobJson {
  id: string;
  status: string;
}

describe('drain of the previous release (built CLI, sshd, Docker, Caddy)', () => {
  let env: DeployEnv;
  const app = `ikt-test-${rand()}`;
  const domain = `${app}.test`;
  // The test web app plus /cgi-bin/slow?N: answers after N seconds with the container's hostname.
  const image = `infrakt-test/slow-${rand()}:1`;

  const deploy = async (): Promise<JobJson> => JSON.parse((await env.ok(['app', 'deploy', app, '--json'])).stdout);
  const jobLog = async (id: string) => (await env.ok(['job', 'logs', id])).stdout;
  const whoami = async () => (await get(env.httpPort, domain, '/whoami')).body.trim();

  /** Caddy's count of requests in flight to any upstream (its admin API, as the drain reads it). */
  const inFlight = async (): Promise<number> => {
    const r = await httpGet(env.adminPort, '/reverse_proxy/upstreams', { host: `127.0.0.1:${env.adminPort}` });
    return (JSON.parse(r.body) as { num_requests: number }[]).reduce((n, u) => n + u.num_requests, 0);
  };

  /** A slow request through Caddy, resolved once Caddy has it in flight (the response: `done`). */
  async function slowRequest(seconds: number) {
    const done = httpGet(env.httpPort, `/cgi-bin/slow?${seconds}`, { host: domain, timeoutMs: 120_000 }).catch(
      (e: Error) => ({ status: 0, body: e.message }),
    );
    const deadline = Date.now() + 30_000;
    while ((await inFlight()) < 1) {
      if (Date.now() > deadline) throw new Error('the slow request never reached the app');
      await new Promise((r) => setTimeout(r, 50));
    }
    return { done };
  }

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ikt-slow-'));
    writeFileSync(
      join(dir, 'slow'),
      [
        '#!/bin/sh',
        'case "$QUERY_STRING" in *[!0-9]* | "") n=1 ;; *) n=$QUERY_STRING ;; esac',
        'sleep "$n"',
        "printf 'Content-Type: text/plain\\r\\n\\r\\n'",
        'hostname',
      ].join('\n'),
      { mode: 0o755 },
    );
    writeFileSync(join(dir, 'Dockerfile'), 'FROM infrakt-test/web:1\nCOPY slow /www/cgi-bin/slow\n');
    execFileSync(DOCKER, ['build', '--quiet', '--tag', image, dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
    env = await deployEnv();
    await env.ok([
      'app',
      'create',
      '--server',
      env.server,
      '--name',
      app,
      '--image',
      image,
      '--port',
      '3000',
      '--domain',
      domain,
    ]);
    expect((await deploy()).status).toBe('succeeded');
  });

  afterAll(async () => {
    await env?.close();
    removeAppImages(app);
    execFileSync(DOCKER, ['rmi', image], { stdio: 'ignore' });
  });

  it('a request in flight at the switch is answered by the previous release, which stops only then', async () => {
    const before = await whoami();
    const slow = await slowRequest(4);
    const job = await deploy();
    expect(job.status).toBe('succeeded');
    // New requests already go to the new release; the slow one was answered by the old container.
    expect(await whoami()).not.toBe(before);
    const answer = await slow.done;
    expect(answer).toEqual({ status: 200, body: `${before}\n` });
    expect(await jobLog(job.id)).toMatch(/drain: 1 request\(s\) in flight to the previous release finished/);
  });

  it('--drain-timeout bounds the wait: the stop goes ahead with a request still in flight, and says so', async () => {
    await env.ok(['app', 'update', app, '--drain-timeout', '1']);
    expect((await env.ok(['app', 'show', app])).stdout).toMatch(/deploys wait up to 1s for requests in flight/);
    const slow = await slowRequest(30);
    const job = await deploy();
    expect(job.status).toBe('succeeded');
    expect(await jobLog(job.id)).toMatch(/1 request\(s\) still in flight after the drain timeout \(1 s\)/);
    // The old release stopped under it: no answer from it.
    expect((await slow.done).status).not.toBe(200);
  });

  it('a bad drain timeout is refused and changes nothing', async () => {
    const r = await env.cli(['app', 'update', app, '--drain-timeout', '-5']);
    expect(r.code).not.toBe(0);
    expect((await env.ok(['app', 'show', app])).stdout).toMatch(/deploys wait up to 1s/);
  });
});
