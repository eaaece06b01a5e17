// `app rollback` checks the kept release's compose file as a deploy of it would be checked now: against the app's
// current allowance and the caller. Over a recording executor (the kept source.yml is the file the real deploy
// wrote), a real SQLite store and the real job runner: a release accepted while docker_socket was allowed cannot be
// rolled back to by a deployer once an admin revoked it — the job fails naming the field before anything is tagged,
// written or started, and release 2 stays current — while an admin's rollback goes through.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJobRunner, type JobRunner } from '../../../src/adapters/jobs/runner.js';
import { prepareAppUpdate } from '../../../src/services/apps/app-update.js';
import { createApp, resolveApp } from '../../../src/services/apps/apps.js';
import { prepareDeploy } from '../../../src/services/apps/deploy/deploy-app.js';
import { prepareEnvPush } from '../../../src/services/apps/env-push.js';
import { setAppPrivileges } from '../../../src/services/apps/privileges.js';
import { prepareRollback } from '../../../src/services/apps/rollback.js';
import { registerServer } from '../../../src/services/servers/servers.js';
import type { Ctx } from '../../../src/services/shared/context.js';
import { runPlan } from '../../../src/services/shared/job-plan.js';
import { RecordingExecutor } from '../../harness/recording-executor.js';
import { deployer, ssAllBut } from '../../helpers/deploy-fixtures.js';
import { openTestState, type TestState } from '../../helpers/state.js';

const SOCKET_FIELD = 'services.web.volumes[0] (/var/run/docker.sock)';
const file = (extra: string) =>
  `services:\n  web:\n    image: infrakt-test/web:1\n    expose: ["3000"]\n${extra}  cache:\n    image: infrakt-test/redis:7\n`;
const WITH_SOCKET = file('    volumes: ["/var/run/docker.sock:/var/run/docker.sock"]\n');
const PLAIN = file('');

describe('rollback re-checks privileged compose options (recording executor, real store and job runner)', () => {
  let state: TestState;
  let jobs: JobRunner;
  let ex: RecordingExecutor;
  let ctx: Ctx;
  const asDeployer = () => ({ ...ctx, principal: deployer });
  const current = async () => (await resolveApp(ctx, 'stack')).app.current_release;

  beforeEach(async () => {
    state = openTestState();
    jobs = createJobRunner({ store: state.ctx.store, clock: { now: () => new Date() }, actor: 'tester' });
    ex = new RecordingExecutor();
    ex.on('version --short', { stdout: 'v2\n' })
      .on('docker image inspect --format', { stdout: 'sha256:abc|\n' })
      .on('ss -Htan', { stdout: ssAllBut(24242, 24243, 24244, 24245) });
    ctx = { ...state.ctx, jobs, connect: async () => ex };
    await registerServer(ctx, { name: 'box', host: '127.0.0.1', root: '/srv/ikt' });
    // An admin allows the socket; a deployer sets the file with it and deploys (release 1), then a plain file (2).
    await createApp(ctx, { server: 'box', name: 'stack', port: 3000, composeFile: PLAIN });
    await setAppPrivileges(ctx, 'stack', ['docker_socket']);
    const update = async (content: string) =>
      (await prepareAppUpdate(asDeployer(), 'stack', { composeFile: content })).store();
    await update(WITH_SOCKET);
    await runPlan(asDeployer(), await prepareDeploy(asDeployer(), 'stack'));
    await update(PLAIN);
    await runPlan(asDeployer(), await prepareDeploy(asDeployer(), 'stack'));
    expect(ex.files.get('/srv/ikt/apps/stack/releases/1/source.yml')).toContain('docker.sock');
    expect(await current()).toBe(2);
  });

  afterEach(async () => {
    jobs.close();
    await state.close();
  });

  it('allowed now: a deployer rolls back to the release with the socket', async () => {
    const before = ex.commands.length;
    const back = await runPlan(asDeployer(), await prepareRollback(asDeployer(), 'stack', { to: 1 }));
    expect(back).toMatchObject({ action: 'rollback', release: 3 });
    expect(await current()).toBe(3);
    // What the refused rollback below must not show: the release started.
    expect(ex.commands.slice(before).filter((c) => /compose .* up /.test(c)).length).toBeGreaterThan(0);
  });

  it('revoked: the deployer is refused naming the field, nothing is written or started; release 2 stays', async () => {
    await setAppPrivileges(ctx, 'stack', []);
    const before = ex.commands.length;
    const putsBefore = ex.puts.length;
    const err = await runPlan(asDeployer(), await prepareRollback(asDeployer(), 'stack', { to: 1 })).catch((e) => e);
    expect(err).toMatchObject({ code: 'FORBIDDEN' });
    expect(err.message).toBe(
      `token ci may not set ${SOCKET_FIELD} in the compose file of release 1: it gives root on the server`,
    );
    expect(err.hint).toContain('--allow-privileged docker_socket');
    expect(err.hint).toContain('let an admin roll back');
    const job = await jobs.get(err.details.jobId);
    expect(job.status).toBe('failed');
    expect(job.steps.find((s) => s.name === 'reuse release source')?.status).toBe('failed');
    expect(job.steps.find((s) => s.name === 'start new release')?.status).not.toBe('succeeded');
    // Nothing of a release 3 reached the server but its empty directory (made by the prepare batch, as for any
    // deploy that fails at its source): no file, no tag, no compose up.
    expect(ex.puts.slice(putsBefore).map((p) => p.path)).toEqual([]);
    const after = ex.commands.slice(before);
    expect(after.some((c) => c.includes('releases/3'))).toBe(true);
    expect(after.filter((c) => /docker tag|compose .* up /.test(c))).toEqual([]);
    expect(await current()).toBe(2);
    const deployments = await ctx.store.db.selectFrom('deployments').select(['release', 'status']).execute();
    expect(deployments.filter((d) => d.status === 'succeeded').map((d) => d.release)).toEqual([1, 2]);
  });

  it('revoked: an admin may still roll back (as an admin may deploy that file); a plain release stays open to all', async () => {
    await setAppPrivileges(ctx, 'stack', []);
    const back = await runPlan(ctx, await prepareRollback(ctx, 'stack', { to: 1 }));
    expect(back).toMatchObject({ action: 'rollback', release: 3 });
    expect(ex.files.get('/srv/ikt/apps/stack/releases/3/source.yml')).toContain('docker.sock');
    // Back to the plain release 2 by the deployer: nothing privileged in it.
    const plain = await runPlan(asDeployer(), await prepareRollback(asDeployer(), 'stack', { to: 2 }));
    expect(plain).toMatchObject({ action: 'rollback', release: 4 });
  });

  it('an env push restarts the serving release and is not a rollback: not re-checked', async () => {
    await setAppPrivileges(ctx, 'stack', []);
    await runPlan(ctx, await prepareRollback(ctx, 'stack', { to: 1 }));
    const pushed = await runPlan(asDeployer(), await prepareEnvPush(asDeployer(), 'stack'));
    expect(pushed).toMatchObject({ action: 'env-push', release: 4 });
  });
});
