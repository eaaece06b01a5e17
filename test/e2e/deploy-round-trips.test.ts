// The round-trip budget of a deploy (issue 19 asked ≤ 6 per image deploy; 5 since the switch carries the
// retirement; exactly 1 SSH handshake), as the job
// records it (`Executor.stats()` of the job's one connection) on real deploys over a real sshd, with Caddy
// switched and the previous release retired: an image app and a compose app with two services. Each job also
// still reports every step of the plan on its own, the health probes in its log, and the serving moment.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeployEnv, deployEnv, get, rand, removeAppImages } from './deploy-harness.js';

/** Shell open (2), prepare (1), write → start → health (1), switch + retire (1); compose apps alike. */
const MAX_ROUND_TRIPS = 5;

interface JobJson {
  id: string;
  status: string;
  servingAt?: string | null;
  roundTrips?: number | null;
  sshHandshakes?: number | null;
  steps: { name: string; status: string }[];
}

describe('round trips per deploy (built CLI, sshd, Docker, Caddy)', () => {
  let env: DeployEnv;
  let dir: string;
  const imageApp = `ikt-test-${rand()}`;
  const composeApp = `ikt-test-${rand()}`;

  const deploy = async (app: string): Promise<JobJson> =>
    JSON.parse((await env.ok(['app', 'deploy', app, '--json'])).stdout);

  /** A redeploy (a release already serving: the switch and the retirement both run) within the budget. */
  async function expectWithinBudget(app: string, domain: string, version: string): Promise<JobJson> {
    const job = await deploy(app);
    expect(job.status).toBe('succeeded');
    expect(job.sshHandshakes).toBe(1);
    expect(job.roundTrips).toBeGreaterThan(0);
    expect(job.roundTrips, `round trips of job ${job.id}`).toBeLessThanOrEqual(MAX_ROUND_TRIPS);
    for (const step of ['write release files', 'start new release', 'health check', 'switch proxy']) {
      expect(job.steps.find((s) => s.name === step)?.status, step).toBe('succeeded');
    }
    expect(job.servingAt).toBeTruthy();
    expect((await get(env.httpPort, domain)).body).toContain(version);
    const logs = await env.ok(['job', 'logs', job.id]);
    expect(logs.stdout).toMatch(/probe \d+: HTTP 200 on \/health/);
    return job;
  }

  beforeAll(async () => {
    env = await deployEnv();
    dir = mkdtempSync(join(tmpdir(), 'ikt-rt-'));
  });

  afterAll(async () => {
    await env?.close();
    removeAppImages(imageApp);
    removeAppImages(composeApp);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`an image app redeploys in at most ${MAX_ROUND_TRIPS} round trips and one handshake`, async () => {
    const domain = `${imageApp}.test`;
    await env.ok([
      'app',
      'create',
      '--server',
      env.server,
      '--name',
      imageApp,
      '--image',
      'infrakt-test/web:1',
      '--port',
      '3000',
      '--domain',
      domain,
      '--health-path',
      '/health',
    ]);
    await env.ok(['env', 'set', imageApp, 'GREETING=hi']);
    await deploy(imageApp);
    await env.ok(['app', 'update', imageApp, '--image', 'infrakt-test/web:2']);
    const job = await expectWithinBudget(imageApp, domain, 'version=v2');
    expect(job.steps.find((s) => s.name === 'retire previous release')?.status).toBe('succeeded');
  });

  it(`a compose app with two services redeploys in at most ${MAX_ROUND_TRIPS} round trips`, async () => {
    const domain = `${composeApp}.test`;
    const file = join(dir, 'compose.yml');
    const yaml = (web: string) =>
      [
        'services:',
        '  web:',
        `    image: infrakt-test/web:${web}`,
        '    ports: ["3000"]',
        '    depends_on: [cache]',
        '  cache:',
        '    image: infrakt-test/redis:7',
        '',
      ].join('\n');
    writeFileSync(file, yaml('1'));
    await env.ok([
      'app',
      'create',
      '--server',
      env.server,
      '--name',
      composeApp,
      '--compose-file',
      file,
      '--port',
      '3000',
      '--domain',
      domain,
      '--health-path',
      '/health',
    ]);
    await deploy(composeApp);
    writeFileSync(file, yaml('2'));
    await env.ok(['app', 'update', composeApp, '--compose-file', file]);
    const job = await expectWithinBudget(composeApp, domain, 'version=v2');
    expect(job.steps.find((s) => s.name === 'update services in place')?.status).toBe('succeeded');
  });
});
