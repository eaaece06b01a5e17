// Retirement and the job's measures, end to end: releases run with an init as PID 1 by default, so an app that
// ignores SIGTERM as PID 1 (busybox httpd here) still stops at once; --no-init and --stop-timeout are applied
// to the next release; the job records round trips, one SSH handshake and the moment it served.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  startedAt: string;
  finishedAt: string;
  servingAt?: string | null;
  roundTrips?: number | null;
  sshHandshakes?: number | null;
  steps: { name: string; status: string; startedAt: string | null; finishedAt: string | null }[];
}

const stepMs = (job: JobJson, name: string): number => {
  const s = job.steps.find((x) => x.name === name);
  if (!s?.startedAt || !s.finishedAt) throw new Error(`step ${name} did not run: ${JSON.stringify(job.steps)}`);
  return Date.parse(s.finishedAt) - Date.parse(s.startedAt);
};

describe('retirement with init and a per-app stop timeout (built CLI, sshd, Docker, Caddy)', () => {
  let env: DeployEnv;
  const app = `ikt-test-${rand()}`;
  const domain = `${app}.test`;
  // busybox httpd as PID 1 has no SIGTERM handler: without an init, `docker stop` waits the whole timeout.
  const image = `infrakt-test/stubborn-${rand()}:1`;

  const deploy = async (): Promise<JobJson> => JSON.parse((await env.ok(['app', 'deploy', app, '--json'])).stdout);
  const container = () =>
    docker('ps', '-q', '--filter', `label=infrakt.app=${app}`, '--filter', `label=infrakt.root=${env.host.root}`);
  const inspect = (fmt: string) => docker('inspect', '--format', fmt, container());

  beforeAll(async () => {
    buildTestImage(image, 'FROM infrakt-test/web:1\nENTRYPOINT ["httpd", "-f", "-p", "3000", "-h", "/www"]\n');
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
      '--stop-timeout',
      '30',
    ]);
  });

  afterAll(async () => {
    await env?.close();
    removeAppImages(app);
    execFileSync(DOCKER, ['rmi', image], { stdio: 'ignore' });
  });

  it('an app deaf to SIGTERM is retired at once under the default init (stop timeout 30 s)', async () => {
    await deploy();
    expect(inspect('{{.HostConfig.Init}}')).toBe('true');
    expect(inspect('{{.Config.StopTimeout}}')).toBe('30');
    const job = await deploy();
    expect(job.status).toBe('succeeded');
    // Without the init the stop would wait the 30 s timeout; with it, httpd gets the SIGTERM and exits.
    expect(stepMs(job, 'retire previous release')).toBeLessThan(30_000);
    expect(container().split('\n').filter(Boolean)).toHaveLength(1);
    expect((await get(env.httpPort, domain)).status).toBe(200);
  });

  it('records one SSH handshake, the round trips and the serving moment on the job', async () => {
    const job = await deploy();
    expect(job.sshHandshakes).toBe(1);
    // Shell open (2), prepare (1), write + start + health (1), switch with its lock and the retirement (1); the
    // budget itself is test/e2e/deploy-round-trips.test.ts.
    expect(job.roundTrips).toBeGreaterThanOrEqual(4);
    expect(job.roundTrips).toBeLessThanOrEqual(5);
    expect(job.servingAt).toBeTruthy();
    const serving = Date.parse(job.servingAt!);
    expect(serving).toBeGreaterThanOrEqual(Date.parse(job.startedAt));
    expect(serving).toBeLessThanOrEqual(Date.parse(job.finishedAt));
    const shown = await env.ok(['job', 'show', job.id]);
    expect(shown.stdout).toMatch(/serving\s+\S/);
    expect(shown.stdout).toContain(`${job.roundTrips} round trip(s), 1 SSH handshake(s)`);
  });

  it('--no-init and --stop-timeout reach the next release; a deaf app then waits out its own timeout', async () => {
    await env.ok(['app', 'update', app, '--no-init', '--stop-timeout', '3']);
    await deploy();
    expect(inspect('{{.HostConfig.Init}}')).toBe('false');
    expect(inspect('{{.Config.StopTimeout}}')).toBe('3');
    const job = await deploy();
    // SIGTERM is ignored by PID 1 now: the stop waits the app's 3 s before SIGKILL.
    expect(stepMs(job, 'retire previous release')).toBeGreaterThanOrEqual(3000);
  });

  it('a bad stop timeout is refused and changes nothing', async () => {
    for (const bad of ['-1', '3601', '1.5', 'soon']) {
      const r = await env.cli(['app', 'update', app, '--stop-timeout', bad]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/stop.timeout|integer|number/i);
    }
    await deploy();
    expect(inspect('{{.Config.StopTimeout}}')).toBe('3');
  });
});
