// deployApp over a recording executor and a real SQLite store: what runs, in which order, what a failing
// health check undoes, and that variables never reach a command line, the record or the job log.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJobRunner, type JobRunner } from '../../../src/adapters/jobs/runner.js';
import { createApp } from '../../../src/services/apps/apps.js';
import { prepareDeploy } from '../../../src/services/apps/deploy/deploy-app.js';
import { setEnv } from '../../../src/services/apps/env.js';
import { prepareEnvPush } from '../../../src/services/apps/env-push.js';
import { listDeployments } from '../../../src/services/apps/releases.js';
import { prepareRollback } from '../../../src/services/apps/rollback.js';
import { registerServer } from '../../../src/services/servers/servers.js';
import type { Ctx } from '../../../src/services/shared/context.js';
import { runPlan } from '../../../src/services/shared/job-plan.js';
import { RecordingExecutor } from '../../harness/recording-executor.js';
import { ssAllBut } from '../../helpers/deploy-fixtures.js';
import { openTestState, type TestState } from '../../helpers/state.js';

const SECRET = 'sup3r-s3cret-value';

/** `ss -Htan` output with every port of the release range listening except `free`. */
describe('deployApp (recording executor, real store)', () => {
  let state: TestState;
  let jobs: JobRunner;
  let ex: RecordingExecutor;
  let ctx: Ctx;

  beforeEach(async () => {
    state = openTestState();
    jobs = createJobRunner({ store: state.ctx.store, clock: { now: () => new Date() }, actor: 'tester' });
    ex = new RecordingExecutor();
    ex.on('version --short', { stdout: 'v2\n' })
      .on('docker image inspect --format', { stdout: 'sha256:abc|\n' })
      .on('label=infrakt.app=web', { stdout: 'web-r0\n' });
    ctx = { ...state.ctx, jobs, connect: async () => ex };
    await registerServer(ctx, { name: 'box', host: '10.0.0.5', root: '/srv/ikt' });
    await createApp(ctx, {
      server: 'box',
      name: 'web',
      image: 'infrakt-test/web:1',
      port: 3000,
      domain: 'web.example.com',
      health: { path: '/health', intervalMs: 100, timeoutMs: 1000 },
    });
    await setEnv(ctx, 'web', [`API_KEY=${SECRET}`]);
  });

  afterEach(async () => {
    jobs.close();
    await state.close();
  });

  it('runs the plan over one connection: start beside, health, switch, retire; variables only as file content', async () => {
    // Caddy's admin endpoint listens: the switch learns it from the prepare batch (no probe of its own).
    const caddyAdmin = 'LISTEN 0 4096 127.0.0.1:2019 0.0.0.0:*';
    ex.on('ss -Htan', { stdout: `${ssAllBut(24242, 24243)}\n${caddyAdmin}\n---\n127.0.0.1:24243->80/tcp\n` });
    const res = await runPlan(ctx, await prepareDeploy(ctx, 'web'));
    expect(res).toMatchObject({ release: 1, hostPort: 24242, sourceRef: 'sha256:abc' });
    const upIdx = ex.commands.findIndex((c) => c.includes('--project-name web-r1') && c.includes(' up --detach'));
    const reloadIdx = ex.commands.findIndex((c) => c.startsWith('caddy reload') || c.includes('caddy reload'));
    const retireIdx = ex.commands.findIndex((c) => c.includes("retire 'label=infrakt.app=web'"));
    expect(upIdx).toBeGreaterThan(-1);
    // The port free on the server is published explicitly, so it survives a Docker restart.
    const rel = ex.puts.find((p) => p.path === '/srv/ikt/apps/web/releases/1/docker-compose.yml')!;
    expect(rel.content).toContain('127.0.0.1:24242:3000');
    expect(ex.tcp).toContain(24242);
    expect(ex.tcp).not.toContain(2019);
    expect(reloadIdx).toBeGreaterThan(upIdx);
    expect(retireIdx).toBeGreaterThan(reloadIdx);
    // The variables are in the release's compose file, a secret written 0600 (no .env file any more).
    expect(rel).toMatchObject({ secret: true, mode: 0o600 });
    expect(rel.content).toContain(`API_KEY: "${SECRET}"`);
    expect(ex.puts.some((p) => p.path.endsWith('/.env'))).toBe(false);
    // The switch carries the retirement: the config and the staged `current` marker travel in one stdin, the
    // marker is moved into place only after the reload (one script: prepare, write → health, switch + retire).
    const candidate = ex.puts.find((p) => p.path === '/srv/ikt/caddy/Caddyfile.next');
    expect(candidate?.content).toContain('reverse_proxy 127.0.0.1:24242');
    const staged = ex.puts.find((p) => p.path.startsWith('/srv/ikt/apps/web/.current.infrakt-'));
    expect(staged?.content).toBe('1 app\n');
    const markerIdx = ex.commands.indexOf(`mv -f -- ${staged!.path} /srv/ikt/apps/web/current`);
    expect(markerIdx).toBeGreaterThan(reloadIdx);
    expect(ex.batches).toBe(3);
    for (const c of ex.commands) expect(c).not.toContain(SECRET);
    expect(ex.closed).toBe(true);
    const [dep] = await listDeployments(ctx, 'web');
    expect(dep).toMatchObject({
      release: 1,
      status: 'succeeded',
      current: true,
      source: 'sha256:abc',
      hostPort: 24242,
    });
  });

  it('a port taken between its choice and the start: one more try on another port', async () => {
    const taken = 'Error response from daemon: Bind for 127.0.0.1:24242 failed: port is already allocated';
    ex.on(/--project-name web-r1 .* up --detach/, { exitCode: 1, stdout: taken }, 1);
    // Both ports look free at the first scan; the one that failed is never picked again.
    ex.on('ss -Htan', { stdout: ssAllBut(24242, 24243) });
    const res = await runPlan(ctx, await prepareDeploy(ctx, 'web'));
    const files = ex.puts.filter((p) => p.path === '/srv/ikt/apps/web/releases/1/docker-compose.yml');
    expect(files).toHaveLength(2);
    const first = /127\.0\.0\.1:(\d+):3000/.exec(files[0]!.content)![1];
    expect([24242, 24243]).toContain(res.hostPort);
    expect(String(res.hostPort)).not.toBe(first);
    expect(files[1]!.content).toContain(`127.0.0.1:${res.hostPort}:3000`);
    const ups = ex.commands.filter((c) => c.includes('--project-name web-r1') && c.includes(' up --detach'));
    expect(ups).toHaveLength(2);
    const [dep] = await listDeployments(ctx, 'web');
    expect(dep).toMatchObject({ status: 'succeeded', hostPort: res.hostPort });
  });

  it('a failing health check removes the new release, keeps the route, and records why (scrubbed)', async () => {
    ex.tcpAnswer = () => 'HTTP/1.1 503 Unavailable\r\n\r\n';
    ex.on('xargs -r -n 1 docker logs', { stdout: `booting with API_KEY=${SECRET}\nnot ready\n` });
    const err = await runPlan(ctx, await prepareDeploy(ctx, 'web')).catch((e) => e);
    expect(err.code).toBe('HEALTH_CHECK_FAILED');
    expect(
      ex.commands.some((c) => c.includes('label=com.docker.compose.project=web-r1') && c.includes('docker rm --force')),
    ).toBe(true);
    expect(ex.commands.some((c) => c.includes('caddy reload'))).toBe(false);
    const [dep] = await listDeployments(ctx, 'web');
    expect(dep?.status).toBe('failed');
    expect(dep?.error).toMatch(/not healthy within 1 s \(last probe: HTTP 503 on \/health\)/);
    expect(dep?.logs).toContain('not ready');
    expect(JSON.stringify(dep)).not.toContain(SECRET);
    const logs = await jobs.logs(dep!.jobId!);
    expect(JSON.stringify(logs)).not.toContain(SECRET);
    const routes = await ctx.store.db.selectFrom('proxy_routes').selectAll().execute();
    expect(routes).toEqual([]);
  });

  it('rollback and env push show every planned step from the start, and run each (the source reuse too)', async () => {
    ex.on('ss -Htan', { stdout: ssAllBut(24242, 24243, 24244, 24245) });
    await runPlan(ctx, await prepareDeploy(ctx, 'web'));
    await runPlan(ctx, await prepareDeploy(ctx, 'web'));
    const expected = [
      'connect',
      'prepare server',
      'reuse release source',
      'write release files',
      'start new release',
      'health check',
      'switch proxy',
      'retire previous release',
      'record release',
    ];
    const rollback = await prepareRollback(ctx, 'web');
    expect(rollback.spec.plannedSteps).toEqual(expected);
    const back = await runPlan(ctx, rollback);
    expect(back).toMatchObject({ action: 'rollback', release: 3 });
    expect(ex.commands).toContain('docker tag infrakt-app/web:r1 infrakt-app/web:r3');
    const push = await prepareEnvPush(ctx, 'web');
    expect(push.spec.plannedSteps).toEqual(expected);
    const pushed = await runPlan(ctx, push);
    expect(ex.commands).toContain('docker tag infrakt-app/web:r3 infrakt-app/web:r4');
    for (const jobId of [back.jobId, pushed.jobId]) {
      const steps = (await jobs.get(jobId)).steps;
      expect(steps.map((st) => st.name)).toEqual(expected);
      expect(steps.map((st) => st.status)).toEqual(expected.map(() => 'succeeded'));
    }
  });
});
