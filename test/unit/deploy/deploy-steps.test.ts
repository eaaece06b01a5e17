// Each step of a deploy on its own, over a recording executor, a real SQLite store and the real job runner: the
// step function gets a ReleaseRun opened as the runner opens it, and is run as the runner runs it (a job step
// named after the plan's step). Then the runner as a whole: the plan's steps are the ones run, and the plan's
// compensations are the ones used when a release fails before the switch.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJobRunner, type JobRunner } from '../../../src/adapters/jobs/runner.js';
import { render } from '../../../src/core/cmd/index.js';
import { InfraktError } from '../../../src/core/errors.js';
import type { JobStep } from '../../../src/core/jobs.js';
import { type DeployStepKind, deployPlan } from '../../../src/core/plans/deploy.js';
import { createApp, resolveApp } from '../../../src/services/apps/apps.js';
import { prepareDeploy } from '../../../src/services/apps/deploy/deploy-app.js';
import {
  openReleaseRun,
  planInput,
  type ReleaseRequest,
  type ReleaseRun,
  type ReleaseStep,
} from '../../../src/services/apps/deploy/release-run.js';
import { switchRoute } from '../../../src/services/apps/deploy/route-switch.js';
import { buildImage } from '../../../src/services/apps/deploy/steps/build-image.js';
import { checkHealth } from '../../../src/services/apps/deploy/steps/check-health.js';
import { fetchSource } from '../../../src/services/apps/deploy/steps/fetch-source.js';
import { prepareServer } from '../../../src/services/apps/deploy/steps/prepare-server.js';
import { recordRelease } from '../../../src/services/apps/deploy/steps/record-release.js';
import { retirePrevious } from '../../../src/services/apps/deploy/steps/retire-previous.js';
import { startRelease } from '../../../src/services/apps/deploy/steps/start-release.js';
import { switchTraffic } from '../../../src/services/apps/deploy/steps/switch-traffic.js';
import { updateServices } from '../../../src/services/apps/deploy/steps/update-services.js';
import { writeReleaseFiles } from '../../../src/services/apps/deploy/steps/write-release-files.js';
import { decryptedEnv, setEnv } from '../../../src/services/apps/env.js';
import { listDeployments } from '../../../src/services/apps/releases.js';
import { registerServer } from '../../../src/services/servers/servers.js';
import type { Ctx } from '../../../src/services/shared/context.js';
import { runPlan } from '../../../src/services/shared/job-plan.js';
import { appLockName } from '../../../src/services/shared/lock-on-server.js';
import { withServer } from '../../../src/services/shared/server-session.js';
import { RecordingExecutor } from '../../harness/recording-executor.js';
import { ssAllBut } from '../../helpers/deploy-fixtures.js';
import { openTestState, type TestState } from '../../helpers/state.js';

const SECRET = 'sup3r-s3cret-value';
const health = { path: '/health', intervalMs: 100, timeoutMs: 1000 };

/** `ss -Htan` output with every port of the release range listening except `free`. */
const STACK = `
services:
  web:
    image: infrakt-test/web:1
    expose: ["3000"]
  cache:
    image: infrakt-test/redis:7
`;
const BUILT_STACK = `
services:
  web:
    build: /opt/ctx/web
    expose: ["3000"]
  worker:
    build: /opt/ctx/worker
`;

describe('deploy steps (recording executor, real store and job runner)', () => {
  let state: TestState;
  let jobs: JobRunner;
  let ex: RecordingExecutor;
  let ctx: Ctx;
  // What the scripted server answers (rules are matched first-come: tests change these instead).
  let flavour: string;
  let inspect: string;
  let ss: string;

  beforeEach(async () => {
    state = openTestState();
    jobs = createJobRunner({ store: state.ctx.store, clock: { now: () => new Date() }, actor: 'tester' });
    ex = new RecordingExecutor();
    flavour = 'v2';
    inspect = 'sha256:abc|';
    ss = ssAllBut(24500);
    ex.on('version --short', () => ({ stdout: `${flavour}\n` }))
      .on('docker image inspect --format', () => ({ stdout: `${inspect}\n` }))
      .on('rev-parse HEAD', { stdout: 'c0ffee1\n' })
      .on('ss -Htan', () => ({ stdout: `${ss}\n---\n` }));
    ctx = { ...state.ctx, jobs, connect: async () => ex };
    await registerServer(ctx, { name: 'box', host: '127.0.0.1', root: '/srv/ikt' });
    await createApp(ctx, {
      server: 'box',
      name: 'web',
      image: 'infrakt-test/web:1',
      port: 3000,
      domain: 'web.example.com',
      health,
    });
    await setEnv(ctx, 'web', [`API_KEY=${SECRET}`]);
    await createApp(ctx, { server: 'box', name: 'site', git: '/srv/repos/site.git', port: 3000, health });
  });

  afterEach(async () => {
    jobs.close();
    await state.close();
  });

  const compose = (name: string, composeFile: string) =>
    createApp(ctx, { server: 'box', name, port: 3000, composeFile, health });

  /** Runs `fn` in a job over a ReleaseRun opened as runRelease opens it; returns its result and recorded steps. */
  async function inRun<T>(
    app: string,
    fn: (run: ReleaseRun) => Promise<T>,
    req: ReleaseRequest = { action: 'deploy' },
  ): Promise<{ result: T; steps: JobStep[]; jobId: string }> {
    const r = await resolveApp(ctx, app);
    const env = await decryptedEnv(ctx, r.app);
    const lock = { name: appLockName(app), deferred: true };
    const { jobId, result } = await jobs.run({ kind: 'test', target: `box/${app}` }, (job) =>
      withServer(ctx, job, r.server, { lock }, async (session) =>
        fn(await openReleaseRun({ ctx, job, session, ...r, env, req, startedAt: Date.now() })),
      ),
    );
    return { result, steps: (await jobs.get(jobId)).steps, jobId };
  }

  /** Runs one step function as the runner does: a job step named after the plan's step of that kind. */
  function step(run: ReleaseRun, kind: DeployStepKind, fn: ReleaseStep): Promise<void> {
    const st = run.plan.find((s) => s.kind === kind);
    if (!st) throw new Error(`no ${kind} step in the plan`);
    return run.job.step(st.name, (s) => fn(run, st, s));
  }
  const planStep = (run: ReleaseRun, kind: DeployStepKind) => run.plan.find((s) => s.kind === kind)!;
  const recorded = (steps: JobStep[], name: string) => steps.find((s) => s.name === name)!;

  /** Succeeded releases 1..n of an app, as earlier deploys leave them. */
  async function earlierReleases(app: string, n: number) {
    const { app: row } = await resolveApp(ctx, app);
    for (let release = 1; release <= n; release++)
      await ctx.store.db
        .insertInto('deployments')
        .values({
          app_id: row.id,
          release,
          action: 'deploy',
          source_type: row.app_type,
          source_ref: 'sha256:abc',
          status: 'succeeded',
          host_port: 24000 + release,
          error: null,
          triggered_by: 'tester',
          job_id: null,
          details_json: '{}',
          started_at: '2026-01-01T00:00:00.000Z',
          finished_at: '2026-01-01T00:00:01.000Z',
        })
        .execute();
  }

  it('prepare server: the server lock, the flavour, what runs and is kept, a free port and the directories', async () => {
    flavour = 'v1';
    ex.on('label=infrakt.app=web', { stdout: 'web-r1\nweb-r1\nweb-r2\n' }).on('ls -1 -- /srv/ikt/apps/web/releases', {
      stdout: '1\n2\nnotes\n',
    });
    const { result: run, steps } = await inRun('web', async (run) => {
      await step(run, 'prepare', prepareServer);
      return run;
    });
    expect(run.flavour).toBe('v1');
    expect(run.before).toEqual({ projects: ['web-r1', 'web-r2'], releases: [1, 2] });
    expect(run.hostPort).toBe(24500);
    expect(ex.commands).toContain(render(planStep(run, 'prepare').cmds![0]!));
    const acquire = ex.commands.findIndex((c) => c.includes('mkdir -- /srv/ikt/locks/app-web.lock'));
    const release = ex.commands.findIndex((c) => c.startsWith('grep -qxF') && c.includes('app-web.lock'));
    expect(acquire).toBeGreaterThan(-1);
    expect(release).toBeGreaterThan(acquire);
    expect(recorded(steps, 'prepare server')).toMatchObject({
      status: 'succeeded',
      detail: 'app-web held; docker-compose (v1)',
    });
    // Lock, flavour, projects, releases, ports, directories and the image: one script, one round trip.
    expect(ex.batches).toBe(1);
    expect(ex.commands.filter((c) => c.includes('docker image inspect'))).toHaveLength(1);
  });

  it('prepare server keeps the flavour and Docker version while the binaries fingerprint holds', async () => {
    let fingerprint = '/usr/bin/docker 1234 1700000000';
    ex.on('stat -L -c', () => ({ stdout: `${fingerprint}\n` })).on('docker version --format', { stdout: '24.0.7\n' });
    const prepare = async () =>
      (
        await inRun('web', async (run) => {
          await step(run, 'prepare', prepareServer);
          return run;
        })
      ).result;
    const detections = () => ex.commands.filter((c) => c.includes('version --short')).length;
    flavour = 'v1';
    expect((await prepare()).flavour).toBe('v1');
    expect(detections()).toBe(1);
    const facts = async () =>
      JSON.parse(
        (
          await ctx.store.db
            .selectFrom('servers')
            .select('facts_json')
            .where('name', '=', 'box')
            .executeTakeFirstOrThrow()
        ).facts_json ?? 'null',
      );
    expect(await facts()).toEqual({ fingerprint, flavour: 'v1', dockerVersion: '24.0.7' });
    // Same binaries: nothing asked again (even if the server would now answer otherwise).
    flavour = 'v2';
    expect((await prepare()).flavour).toBe('v1');
    expect(detections()).toBe(1);
    expect(ex.batches).toBe(2);
    // Docker upgraded (another mtime): learnt again, in one more round trip, and kept.
    fingerprint = '/usr/bin/docker 1234 1800000000';
    expect((await prepare()).flavour).toBe('v2');
    expect(detections()).toBe(2);
    expect(await facts()).toMatchObject({ fingerprint, flavour: 'v2' });
  });

  it('prepare server, then check image: the image was inspected and tagged in the batch, not again', async () => {
    inspect = 'sha256:abc|reg.test/web@sha256:d1 ';
    const { result: run, steps } = await inRun('web', async (run) => {
      await step(run, 'prepare', prepareServer);
      const before = ex.commands.length;
      await step(run, 'source', fetchSource);
      expect(ex.commands.length).toBe(before);
      return run;
    });
    expect(run.prepared).toMatchObject({ sourceRef: 'reg.test/web@sha256:d1' });
    expect(recorded(steps, 'check image')).toMatchObject({ status: 'succeeded', detail: 'reg.test/web@sha256:d1' });
  });

  it("fetch source, image: the plan's inspect-and-tag; the digest is the source ref", async () => {
    inspect = 'sha256:abc|reg.test/web@sha256:d1 ';
    const { result: run, steps } = await inRun('web', async (run) => {
      await step(run, 'source', fetchSource);
      return run;
    });
    expect(ex.commands).toEqual(expect.arrayContaining([render(planStep(run, 'source').cmds![0]!)]));
    expect(run.prepared).toMatchObject({ sourceRef: 'reg.test/web@sha256:d1', servicesFile: null });
    expect(run.prepared?.dockerfile).toBeUndefined();
    expect(recorded(steps, 'check image')).toMatchObject({ status: 'succeeded', detail: 'reg.test/web@sha256:d1' });
  });

  it("fetch source, git: the plan's fetch and rev-parse; nothing is built yet", async () => {
    const { result: run, steps } = await inRun('site', async (run) => {
      await step(run, 'source', fetchSource);
      return run;
    });
    const [sync, head] = planStep(run, 'source').cmds!.map((c) => render(c));
    expect(ex.commands.indexOf(sync!)).toBeGreaterThan(-1);
    expect(ex.commands.indexOf(head!)).toBeGreaterThan(ex.commands.indexOf(sync!));
    expect(run.prepared?.dockerfile).toEqual({ tag: 'infrakt-app/site:r1', context: '/srv/ikt/apps/site/src' });
    expect(ex.commands.some((c) => c.includes('docker build'))).toBe(false);
    expect(recorded(steps, 'fetch git source')).toMatchObject({ status: 'succeeded', detail: 'c0ffee1' });
  });

  it("fetch source, rollback: the kept release's image tagged again; the step runs, never reported skipped", async () => {
    await earlierReleases('web', 2);
    const from = {
      release: 1,
      sourceRef: 'sha256:abc',
      details: { kind: 'image' as const, project: 'web-r1', service: 'app', flavour: 'v2' as const },
    };
    const { result: run, steps } = await inRun(
      'web',
      async (run) => {
        await step(run, 'source', fetchSource);
        return run;
      },
      { action: 'rollback', from },
    );
    expect(run.release).toBe(3);
    expect(ex.commands).toContain('docker tag infrakt-app/web:r1 infrakt-app/web:r3');
    expect(recorded(steps, 'reuse release source')).toMatchObject({ status: 'succeeded', detail: 'sha256:abc' });
  });

  it('write release files: the release (with the variables, a 0600 secret) and its source; services on deploy only', async () => {
    await compose('stack', STACK);
    const { steps } = await inRun('stack', async (run) => {
      await step(run, 'source', fetchSource);
      await step(run, 'write', writeReleaseFiles);
    });
    expect(ex.puts.map((p) => [p.path, p.mode, p.secret])).toEqual([
      ['/srv/ikt/apps/stack/releases/1/docker-compose.yml', 0o600, true],
      ['/srv/ikt/apps/stack/releases/1/source.yml', 0o644, false],
      ['/srv/ikt/apps/stack/services.yml', 0o600, true],
    ]);
    expect(recorded(steps, 'write release files').detail).toBe('0 variable(s), release 1');
    ex.puts.length = 0;
    await inRun('web', async (run) => {
      await step(run, 'source', fetchSource);
      await step(run, 'write', writeReleaseFiles);
    });
    // No .env any more: the variables are in the release's compose file (see core/plans/compose-env.ts).
    expect(ex.puts.some((p) => p.path.endsWith('/.env'))).toBe(false);
    const rel = ex.puts.find((p) => p.path === '/srv/ikt/apps/web/releases/1/docker-compose.yml')!;
    expect(rel).toMatchObject({ mode: 0o600, secret: true });
    expect(rel.content).toContain(`API_KEY: "${SECRET}"`);
    for (const c of ex.commands) expect(c).not.toContain(SECRET);
  });

  it("build image, git: the repository's Dockerfile built as the release's image, in the build step", async () => {
    const { steps, jobId } = await inRun('site', async (run) => {
      await step(run, 'source', fetchSource);
      await step(run, 'write', writeReleaseFiles);
      await step(run, 'build', buildImage);
    });
    expect(ex.commands).toContain('docker build --quiet --tag infrakt-app/site:r1 -- /srv/ikt/apps/site/src 2>&1');
    const build = recorded(steps, 'build image');
    expect(build).toMatchObject({ status: 'succeeded', detail: 'infrakt-app/site:r1' });
    const logs = await jobs.logs(jobId);
    expect(logs.find((l) => l.line.startsWith('building infrakt-app/site:r1'))?.stepIdx).toBe(build.idx);
  });

  it('build image, compose: `build:` sections from the written files, the other services first; else unchanged', async () => {
    await compose('built', BUILT_STACK);
    await compose('stack', STACK);
    const { steps } = await inRun('built', async (run) => {
      await step(run, 'source', fetchSource);
      await step(run, 'write', writeReleaseFiles);
      await step(run, 'build', buildImage);
    });
    const builds = ex.commands.filter((c) => / build 2>&1$/.test(c));
    expect(builds).toHaveLength(2);
    expect(builds[0]).toContain('--project-name built-svc');
    expect(builds[0]).toContain('--file /srv/ikt/apps/built/services.yml');
    expect(builds[1]).toContain('--project-name built-r1');
    expect(builds[1]).toContain('--file /srv/ikt/apps/built/releases/1/docker-compose.yml');
    const written = ex.puts.map((p) => p.path);
    expect(written).toContain('/srv/ikt/apps/built/services.yml');
    expect(recorded(steps, 'build image').status).toBe('succeeded');
    ex.commands.length = 0;
    const plain = await inRun('stack', async (run) => {
      await step(run, 'source', fetchSource);
      await step(run, 'build', buildImage);
    });
    expect(ex.commands.some((c) => c.includes(' build'))).toBe(false);
    expect(recorded(plain.steps, 'build image')).toMatchObject({
      status: 'unchanged',
      detail: 'nothing to build: every image is given',
    });
  });

  it('update services in place: compose up of the stable project on deploy; kept on env push; none for one service', async () => {
    await compose('stack', STACK);
    await compose('solo', 'services:\n  web:\n    image: infrakt-test/web:1\n');
    const deploy = await inRun('stack', async (run) => {
      await step(run, 'source', fetchSource);
      await step(run, 'services', updateServices);
    });
    const ups = ex.commands.filter((c) => c.includes(' up --detach'));
    expect(ups).toHaveLength(1);
    expect(ups[0]).toContain('--project-name stack-svc');
    expect(recorded(deploy.steps, 'update services in place').status).toBe('succeeded');
    ex.commands.length = 0;
    ex.files.set('/srv/ikt/apps/stack/releases/1/source.yml', STACK);
    const from = {
      release: 1,
      sourceRef: 'sha256:x',
      details: { kind: 'compose' as const, project: 'stack-r1', service: 'web', flavour: 'v2' as const },
    };
    const push = await inRun(
      'stack',
      async (run) => {
        await step(run, 'source', fetchSource);
        await step(run, 'services', updateServices);
      },
      { action: 'env-push', from },
    );
    expect(ex.commands.some((c) => c.includes(' up --detach'))).toBe(false);
    expect(recorded(push.steps, 'update services in place')).toMatchObject({
      status: 'unchanged',
      detail: 'kept as they are',
    });
    const solo = await inRun('solo', async (run) => {
      await step(run, 'source', fetchSource);
      await step(run, 'services', updateServices);
    });
    expect(recorded(solo.steps, 'update services in place')).toMatchObject({
      status: 'unchanged',
      detail: 'no other services',
    });
  });

  it('start new release: compose up of the release project on its port; failing twice is COMMAND_FAILED', async () => {
    const { result: run, steps } = await inRun('web', async (run) => {
      await step(run, 'prepare', prepareServer);
      await step(run, 'source', fetchSource);
      await step(run, 'start', startRelease);
      return run;
    });
    const ups = ex.commands.filter((c) => c.includes(' up --detach'));
    expect(ups).toHaveLength(1);
    expect(ups[0]).toContain('--project-name web-r1');
    expect(recorded(steps, 'start new release')).toMatchObject({ status: 'succeeded', detail: '127.0.0.1:24500' });
    expect(run.hostPort).toBe(24500);

    ex.on(/--project-name web-r2 .* up --detach/, { exitCode: 1, stderr: 'container is restarting' });
    const err = await inRun('web', async (run) => {
      await step(run, 'source', fetchSource);
      await step(run, 'start', startRelease);
    }).catch((e) => e);
    expect(err).toMatchObject({ code: 'COMMAND_FAILED' });
    expect(err.message).toContain('compose up (new release)');
    expect(ex.commands.filter((c) => c.includes('--project-name web-r2') && c.includes(' up --detach'))).toHaveLength(
      2,
    );
  });

  it("health check: probes the release's port until the health path answers", async () => {
    let probes = 0;
    ex.tcpAnswer = () => (++probes < 3 ? 'HTTP/1.1 503 Unavailable\r\n\r\n' : 'HTTP/1.1 204 No Content\r\n\r\n');
    const { steps } = await inRun('web', async (run) => {
      run.hostPort = 24777;
      await step(run, 'health', checkHealth);
    });
    expect(ex.tcp).toEqual([24777, 24777, 24777]);
    expect(recorded(steps, 'health check').detail).toMatch(/^HTTP 204 on \/health after 3 probe\(s\), \d+ ms$/);
  });

  it('switch proxy: the domain goes to the new port, the config goes live, and the run is switched', async () => {
    const { result: run, steps } = await inRun('web', async (run) => {
      run.hostPort = 24600;
      await step(run, 'switch', switchTraffic);
      return run;
    });
    expect(run.switched).toBe(true);
    expect(run.msToServing).toBeGreaterThanOrEqual(0);
    const routes = await ctx.store.db.selectFrom('proxy_routes').select(['domain', 'upstream_port']).execute();
    expect(routes).toEqual([{ domain: 'web.example.com', upstream_port: 24600 }]);
    // Swap and reload go in one script with the proxy lock's release (recorded part by part).
    const swap = ex.commands.findIndex((c) => c.includes('cat > /srv/ikt/caddy/Caddyfile.next && '));
    expect(ex.stdins[swap]).toContain('reverse_proxy 127.0.0.1:24600');
    expect(recorded(steps, 'switch proxy')).toMatchObject({
      status: 'succeeded',
      detail: 'web.example.com → 127.0.0.1:24600',
    });
  });

  describe('switch with Caddy known to run: the proxy lock is taken in the switch script itself', () => {
    const lockPart = (c: string) => c.includes('mkdir -- /srv/ikt/locks/proxy.lock');
    const switchOnce = async () => {
      const { app, server } = await resolveApp(ctx, 'web');
      return switchRoute(ctx, ex, server, app, 24600, 'job-1', () => {}, { caddyRunning: true });
    };

    it('one script: lock, swap and reload, unlock', async () => {
      await switchOnce();
      expect(ex.batches).toBe(1);
      const lockAt = ex.commands.findIndex(lockPart);
      const swapAt = ex.commands.findIndex((c) => c.includes('cat > /srv/ikt/caddy/Caddyfile.next && '));
      const unlockAt = ex.commands.findIndex((c) => c.includes('grep -qxF') && c.includes('proxy.lock'));
      expect(lockAt).toBeGreaterThan(-1);
      expect(swapAt).toBeGreaterThan(lockAt);
      expect(unlockAt).toBeGreaterThan(swapAt);
      // The lock's owner goes in the command (the stdin carries the config), never a variable.
      expect(ex.stdins[swapAt]).toContain('reverse_proxy 127.0.0.1:24600');
    });

    it('a reload that fails in that script restores the route and still releases the lock in it', async () => {
      ex.on('Caddyfile.next', { exitCode: 1, stdout: 'stage:swap\nstage:reload\n', stderr: 'bad config' });
      const err = await switchOnce().catch((e) => e);
      expect(err).toMatchObject({ code: 'COMMAND_FAILED' });
      expect(ex.batches).toBe(1);
      expect(ex.commands.some((c) => c.includes('grep -qxF') && c.includes('proxy.lock'))).toBe(true);
      const routes = await ctx.store.db.selectFrom('proxy_routes').select(['upstream_port']).execute();
      expect(routes).toEqual([]);
    });

    it('a held lock: nothing is swapped by that script; the lock is waited for, then the switch applies', async () => {
      const owner = 'holder=other@box (cli)\njob=\nsince=2026-11-30T00:00:00Z\ntoken=zzz\n';
      ex.on('mkdir -- /srv/ikt/locks/proxy.lock', { exitCode: 3, stdout: owner }, 1);
      await switchOnce();
      const swaps = ex.commands.filter((c) => c.includes('cat > /srv/ikt/caddy/Caddyfile.next && '));
      expect(swaps).toHaveLength(1);
      expect(ex.commands.filter(lockPart)).toHaveLength(2);
      const swapAt = ex.commands.findIndex((c) => c.includes('cat > /srv/ikt/caddy/Caddyfile.next && '));
      expect(swapAt).toBeGreaterThan(ex.commands.findLastIndex(lockPart));
    });
  });

  describe('the switch carries the retirement: one script, each step reporting its own part', () => {
    const switchThenRetire = async (o: { previousRoute?: boolean } = {}) => {
      await earlierReleases('web', 1);
      if (o.previousRoute !== false) {
        // Release 1 serves web.example.com on its port: the switch keeps it in Caddy's pool while it drains.
        const { app, server } = await resolveApp(ctx, 'web');
        await ctx.store.db
          .insertInto('proxy_routes')
          .values({
            server_id: server.id,
            domain: 'web.example.com',
            upstream_port: 24001,
            app_id: app.id,
            created_at: '2026-01-01T00:00:00.000Z',
          })
          .execute();
      }
      return inRun('web', async (run) => {
        await step(run, 'source', fetchSource);
        run.hostPort = 24600;
        run.caddyRunning = true;
        run.before = { projects: ['web-r1', 'web-svc'], releases: [1] };
        await step(run, 'switch', switchTraffic).catch(() => undefined);
        if (run.switched) await step(run, 'retire', retirePrevious);
        return run;
      });
    };
    const at = (pred: (c: string) => boolean) => ex.commands.findIndex(pred);
    const reload = (c: string) => c.includes('caddy reload');
    const drain = (c: string) => c.includes('/reverse_proxy/upstreams');
    const sweep = (c: string) =>
      c.includes("retire 'label=infrakt.app=web' 'label=infrakt.root=/srv/ikt' web-r web-r2 ");
    const marker = (c: string) =>
      /^mv -f -- \/srv\/ikt\/apps\/web\/\.current\.infrakt-\w+ \/srv\/ikt\/apps\/web\/current$/.test(c);

    it('after the reload and the proxy unlock: a drain, the stop, the sweep, the marker — one round trip', async () => {
      const { result: run, steps, jobId } = await switchThenRetire();
      expect(ex.batches).toBe(1);
      const proxyUnlock = at((c) => c.includes('grep -qxF') && c.includes('proxy.lock'));
      expect(proxyUnlock).toBeGreaterThan(at(reload));
      // The drain asks the server's Caddy about the previous upstream, kept behind the new one in the config.
      expect(at(drain)).toBeGreaterThan(proxyUnlock);
      expect(ex.commands[at(drain)]).toMatch(
        / drain http:\/\/localhost:2019\/reverse_proxy\/upstreams 127\.0\.0\.1:24001 30 1 0\.05$/,
      );
      const config = ex.files.get('/srv/ikt/caddy/Caddyfile.next') ?? '';
      expect(config).toContain('\treverse_proxy 127.0.0.1:24600 127.0.0.1:24001 {\n\t\tlb_policy first\n');
      expect(at(sweep)).toBeGreaterThan(at(drain));
      expect(at(marker)).toBeGreaterThan(at(reload));
      // The recording executor's drain prints nothing it knows: reported as the fixed pause.
      expect((await jobs.logs(jobId)).some((l) => l.line.startsWith('drain: '))).toBe(true);
      expect(run.currentWritten).toBe(true);
      expect(recorded(steps, 'switch proxy').status).toBe('succeeded');
      expect(recorded(steps, 'retire previous release')).toMatchObject({
        status: 'succeeded',
        detail: 'stopped web-r1',
      });
    });

    it('a previous release that had no route drains by a fixed pause (nothing of it went through Caddy)', async () => {
      const { steps } = await switchThenRetire({ previousRoute: false });
      expect(at(drain)).toBe(-1);
      expect(at((c) => c === 'sleep 1')).toBeGreaterThan(at(reload));
      expect(at(sweep)).toBeGreaterThan(at((c) => c === 'sleep 1'));
      expect(ex.files.get('/srv/ikt/caddy/Caddyfile.next')).toContain('reverse_proxy 127.0.0.1:24600 {');
      expect(recorded(steps, 'retire previous release').detail).toBe('stopped web-r1');
    });

    it('--drain-timeout 0: no drain at all, the stop follows the switch', async () => {
      const { app } = await resolveApp(ctx, 'web');
      const settings = JSON.parse(app.settings_json || '{}');
      await ctx.store.db
        .updateTable('apps')
        .set({ settings_json: JSON.stringify({ ...settings, drainTimeoutSec: 0 }) })
        .where('id', '=', app.id)
        .execute();
      await switchThenRetire();
      expect(at(drain)).toBe(-1);
      expect(at((c) => c.startsWith('sleep '))).toBe(-1);
      expect(at(sweep)).toBeGreaterThan(at(reload));
    });

    it('a failed switch retires nothing and writes no marker (the staged one is removed)', async () => {
      ex.on('stage:reload', { exitCode: 1, stdout: 'stage:swap\nstage:reload\n', stderr: 'bad config' });
      const { result: run, steps } = await switchThenRetire();
      expect(run.switched).toBe(false);
      expect(recorded(steps, 'switch proxy').status).toBe('failed');
      for (const p of [drain, sweep, marker]) expect(at(p)).toBe(-1);
      // The apply's own failure branch removes the candidate and the staged marker.
      expect(
        ex.commands.some(
          (c) => c.includes('stage:reload') && /rm -f -- \/srv\/ikt\/apps\/web\/\.current\.infrakt-/.test(c),
        ),
      ).toBe(true);
    });

    it('a retirement that fails is reported by its own step and never undoes the switch', async () => {
      ex.on("retire 'label=infrakt.app=web'", { exitCode: 1, stdout: 'web-r1\n', stderr: 'network in use' });
      const { result: run, steps, jobId } = await switchThenRetire();
      expect(run.switched).toBe(true);
      expect(recorded(steps, 'switch proxy').status).toBe('succeeded');
      expect(recorded(steps, 'retire previous release')).toMatchObject({
        status: 'succeeded',
        detail: 'nothing retired or pruned (see the log)',
      });
      const logs = (await jobs.logs(jobId)).filter((l) => l.stream === 'stderr').map((l) => l.line);
      expect(logs).toContain('could not stop and remove every previous release (web-r1)');
      expect(run.currentWritten).toBe(true);
    });

    it('an orphaned release the server still has is removed and named', async () => {
      ex.on("retire 'label=infrakt.app=web'", { stdout: 'web-r1\nweb-r7\n' });
      const { steps, jobId } = await switchThenRetire();
      expect(recorded(steps, 'retire previous release').detail).toBe('stopped web-r1; removed orphaned web-r7');
      expect(
        (await jobs.logs(jobId)).some((l) => l.line === 'removed web-r7: left behind by an interrupted deploy'),
      ).toBe(true);
    });
  });

  describe('route switch: a config that does not go live restores the route', () => {
    const routes = () =>
      ctx.store.db.selectFrom('proxy_routes').select(['domain', 'upstream_port', 'app_id']).execute();
    const failingSwitch = async (port: number) => {
      ex.on('Caddyfile.next', { exitCode: 1, stderr: 'bad config' });
      const { app, server } = await resolveApp(ctx, 'web');
      return switchRoute(ctx, ex, server, app, port, 'job-1', () => {}).catch((e) => e);
    };

    it('an existing route gets its port back', async () => {
      const { app, server } = await resolveApp(ctx, 'web');
      await ctx.store.db
        .insertInto('proxy_routes')
        .values({
          server_id: server.id,
          domain: 'web.example.com',
          upstream_port: 24001,
          app_id: app.id,
          created_at: '2026-01-01T00:00:00.000Z',
        })
        .execute();
      expect(await failingSwitch(24600)).toMatchObject({ code: 'COMMAND_FAILED' });
      expect(await routes()).toEqual([{ domain: 'web.example.com', upstream_port: 24001, app_id: app.id }]);
    });

    it('a new route is removed again', async () => {
      expect(await failingSwitch(24600)).toBeInstanceOf(InfraktError);
      expect(await routes()).toEqual([]);
    });

    it("another app's domain is refused before anything changes", async () => {
      const { app, server } = await resolveApp(ctx, 'web');
      const other = await resolveApp(ctx, 'site');
      const row = {
        server_id: server.id,
        domain: 'web.example.com',
        upstream_port: 24002,
        app_id: other.app.id,
        created_at: '2026-01-01T00:00:00.000Z',
      };
      await ctx.store.db.insertInto('proxy_routes').values(row).execute();
      const err = await switchRoute(ctx, ex, server, app, 24600, 'job-1', () => {}).catch((e) => e);
      expect(err).toMatchObject({ code: 'CONFLICT' });
      expect(await routes()).toEqual([{ domain: row.domain, upstream_port: 24002, app_id: other.app.id }]);
      expect(ex.commands).toEqual([]);
    });
  });

  it('retire previous release: stops the others (never the services), prunes beyond three; failures only logged', async () => {
    await earlierReleases('web', 4);
    ex.on("retire 'label=infrakt.app=web'", { exitCode: 1, stdout: 'web-r1\nweb-r4\n', stderr: 'daemon busy' });
    const {
      result: run,
      steps,
      jobId,
    } = await inRun('web', async (run) => {
      run.before = { projects: ['web-r1', 'web-r4', 'web-r5', 'web-svc'], releases: [1, 2, 3, 4] };
      await step(run, 'retire', retirePrevious);
      return run;
    });
    expect(run.release).toBe(5);
    expect(run.switched).toBe(true);
    // One sweep removes every release of the app but the new one (`web-r5`); the services project is no release.
    const sweeps = ex.commands.filter((c) => c.includes("retire 'label=infrakt.app=web'"));
    expect(sweeps).toHaveLength(1);
    expect(sweeps[0]).toContain(" web-r web-r5 10 '");
    expect(ex.commands.some((c) => c.includes('web-svc'))).toBe(false);
    // A release's image tag may be absent (nothing built): the directory decides.
    expect(ex.commands).toContain('docker rmi infrakt-app/web:r1 2> /dev/null; rm -rf -- /srv/ikt/apps/web/releases/1');
    expect(ex.commands).toContain('docker rmi infrakt-app/web:r2 2> /dev/null; rm -rf -- /srv/ikt/apps/web/releases/2');
    expect(ex.commands.filter((c) => c.includes('rm -rf -- /srv/ikt/apps/web/releases/'))).toHaveLength(2);
    // All of it is one script (one round trip).
    expect(ex.batches).toBe(1);
    // The sweep failed: reported in the log, the step still succeeds (traffic is on the new release).
    expect(recorded(steps, 'retire previous release')).toMatchObject({
      status: 'succeeded',
      detail: 'pruned release(s) 1, 2',
    });
    const logs = await jobs.logs(jobId);
    expect(
      logs.some(
        (l) => l.stream === 'stderr' && l.line === 'could not stop and remove every previous release (web-r1, web-r4)',
      ),
    ).toBe(true);
  });

  it("record release: the deployment succeeded and is the app's current release", async () => {
    await inRun('web', async (run) => {
      await step(run, 'source', fetchSource);
      run.hostPort = 24650;
      await step(run, 'record', recordRelease);
    });
    const [dep] = await listDeployments(ctx, 'web');
    expect(dep).toMatchObject({
      release: 1,
      status: 'succeeded',
      current: true,
      hostPort: 24650,
      source: 'sha256:abc',
    });
    expect((await resolveApp(ctx, 'web')).app).toMatchObject({ status: 'running', current_release: 1 });
  });

  describe('the runner', () => {
    it('runs every planned step under its planned name, in order, for image, git and compose deploys', async () => {
      await compose('built', BUILT_STACK);
      ss = ''; // every port free: three deploys, three ports
      for (const app of ['web', 'site', 'built']) {
        const plan = await prepareDeploy(ctx, app);
        const { jobId } = await runPlan(ctx, plan);
        const rec = await jobs.get(jobId);
        expect(rec.steps.map((s) => s.name)).toEqual(plan.spec.plannedSteps);
        expect(rec.steps.filter((s) => s.status === 'pending')).toEqual([]);
        const { app: row, server } = await resolveApp(ctx, app);
        const planned = deployPlan(planInput(row, server, 1, { action: 'deploy' })).map((s) => s.name);
        expect(plan.spec.plannedSteps).toEqual(['connect', ...planned]);
      }
    });

    it("uses the plan's compensations, latest first: a failed git release loses its containers, then its image", async () => {
      ex.tcpAnswer = () => 'HTTP/1.1 503 Unavailable\r\n\r\n';
      const err = await runPlan(ctx, await prepareDeploy(ctx, 'site')).catch((e) => e);
      expect(err.code).toBe('HEALTH_CHECK_FAILED');
      const { app, server } = await resolveApp(ctx, 'site');
      const plan = deployPlan(planInput(app, server, 1, { action: 'deploy' }));
      const compensation = (kind: DeployStepKind) =>
        plan.find((s) => s.kind === kind)!.compensate!.map((c) => render(c));
      expect(compensation('start')).toHaveLength(1);
      expect(compensation('build')).toHaveLength(1);
      const [removeProject, rmi] = [...compensation('start'), ...compensation('build')];
      const at = (c: string) => ex.commands.lastIndexOf(c);
      expect(at(removeProject!)).toBeGreaterThan(-1);
      expect(at(rmi!)).toBeGreaterThan(at(removeProject!));
      expect(ex.commands.some((c) => c.includes('caddy reload'))).toBe(false);
      expect((await listDeployments(ctx, 'site'))[0]).toMatchObject({ status: 'failed' });
    });

    it('a failed build undoes the build only (nothing was started) and records the failure', async () => {
      ex.on('docker build', { exitCode: 1, stdout: 'Step 2/2 : COPY missing.html\nno such file' });
      const err = await runPlan(ctx, await prepareDeploy(ctx, 'site')).catch((e) => e);
      expect(err).toMatchObject({ code: 'COMMAND_FAILED' });
      expect(ex.commands).toContain('docker rmi infrakt-app/site:r1 2> /dev/null');
      expect(ex.commands.some((c) => c.includes('label=com.docker.compose.project=site-r1'))).toBe(false);
      const [dep] = await listDeployments(ctx, 'site');
      expect(dep).toMatchObject({ status: 'failed', logs: null });
      const logs = await jobs.logs(dep!.jobId!);
      expect(logs.map((l) => l.line)).toContain("undid 'build image' of release 1; the previous release keeps serving");
      const rec = await jobs.get(dep!.jobId!);
      expect(rec.steps.find((s) => s.name === 'build image')?.status).toBe('failed');
      expect(rec.steps.find((s) => s.name === 'start new release')?.status).not.toBe('succeeded');
    });
  });
});
