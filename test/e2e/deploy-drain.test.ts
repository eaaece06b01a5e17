// The drain before the previous release stops, end to end (built CLI, sshd, Docker, Caddy): a request in flight
// to the old release when a deploy switches traffic is answered by the old release, because the retirement waits
// for Caddy's count of requests in flight to its upstream to reach zero; `--drain-timeout` bounds that wait.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpGet } from '../harness/caddy.js';
import {
  buildTestImage,
  type DeployEnv,
  DOCKER,
  deployEnv,
  docker,
  get,
  rand,
  removeAppImages,
} from './deploy-harness.js';

interface JobJson {
  id: string;
  status: string;
}

describe('drain of the previous release (built CLI, sshd, Docker, Caddy)', () => {
  let env: DeployEnv;
  const app = `ikt-test-${rand()}`;
  const domain = `${app}.test`;
  // The test web app plus /cgi-bin/held: answers with the container's hostname once /tmp/go exists in it (at most
  // 60 s), so the test decides when a request in flight ends, whatever the machine's speed.
  const image = `infrakt-test/slow-${rand()}:1`;

  const deploy = async (): Promise<JobJson> => JSON.parse((await env.ok(['app', 'deploy', app, '--json'])).stdout);
  const jobLog = async (id: string) => (await env.ok(['job', 'logs', id])).stdout;
  const whoami = async () => (await get(env.httpPort, domain, '/whoami')).body.trim();

  /** Caddy's count of requests in flight to any upstream (its admin API, as the drain reads it). */
  const inFlight = async (): Promise<number> => {
    const r = await httpGet(env.adminPort, '/reverse_proxy/upstreams', { host: `127.0.0.1:${env.adminPort}` });
    return (JSON.parse(r.body) as { num_requests: number }[]).reduce((n, u) => n + u.num_requests, 0);
  };

  /** A held request through Caddy, resolved once Caddy has it in flight (the response: `done`). */
  async function heldRequest() {
    const done = httpGet(env.httpPort, '/cgi-bin/held', { host: domain, timeoutMs: 120_000 }).catch((e: Error) => ({
      status: 0,
      body: e.message,
    }));
    const deadline = Date.now() + 30_000;
    while ((await inFlight()) < 1) {
      if (Date.now() > deadline) throw new Error('the slow request never reached the app');
      await new Promise((r) => setTimeout(r, 50));
    }
    return { done };
  }

  beforeAll(async () => {
    buildTestImage(image, 'FROM infrakt-test/web:1\nCOPY held /www/cgi-bin/held\n', {
      held: [
        '#!/bin/sh',
        'i=0',
        'while [ ! -e /tmp/go ] && [ "$i" -lt 600 ]; do sleep 0.1; i=$((i + 1)); done',
        "printf 'Content-Type: text/plain\\r\\n\\r\\n'",
        'hostname',
      ].join('\n'),
    });
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
    const held = await heldRequest();
    const deploying = deploy();
    // Once new requests go to the new release, the held one (still in flight to the old) is let go.
    const deadline = Date.now() + 120_000;
    while ((await whoami().catch(() => before)) === before) {
      if (Date.now() > deadline) throw new Error('the new release never served');
      await new Promise((r) => setTimeout(r, 100));
    }
    // Held 3 s past the switch: longer than the fixed pause the drain used to be (1 s), which would have cut it.
    await new Promise((r) => setTimeout(r, 3_000));
    docker('exec', before, 'touch', '/tmp/go');
    const job = await deploying;
    expect(job.status).toBe('succeeded');
    // The old container answered it: it was stopped only after.
    expect(await held.done).toEqual({ status: 200, body: `${before}\n` });
    expect(await jobLog(job.id)).toMatch(/drain: 1 request\(s\) in flight to the previous release finished/);
  });

  it('--drain-timeout bounds the wait: the stop goes ahead with a request still in flight, and says so', async () => {
    await env.ok(['app', 'update', app, '--drain-timeout', '1']);
    expect((await env.ok(['app', 'show', app])).stdout).toMatch(/deploys wait up to 1s for requests in flight/);
    // Never let go: the drain gives up after a second and the stop cuts it.
    const held = await heldRequest();
    const job = await deploy();
    expect(job.status).toBe('succeeded');
    expect(await jobLog(job.id)).toMatch(/1 request\(s\) still in flight after the drain timeout \(1 s\)/);
    expect((await held.done).status).not.toBe(200);
  });

  it('a bad drain timeout is refused and changes nothing', async () => {
    const r = await env.cli(['app', 'update', app, '--drain-timeout', '-5']);
    expect(r.code).not.toBe(0);
    expect((await env.ok(['app', 'show', app])).stdout).toMatch(/deploys wait up to 1s/);
  });
});
