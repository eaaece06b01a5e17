// Scheduled tasks on a real systemd host: the fresh-VPS container (systemd as PID 1) with a real Docker engine
// inside (this host's engine binaries, started by the harness), reached over SSH. An image app is deployed for
// real; `cron add` installs a timer that systemd fires on its own, the task runs in a one-off container of the
// current release with the app's env, and its result, duration and log tail show in `cron list`. A redeploy
// moves the next run to the new release; `cron run`, a failing task, bad input, `cron remove` and `app destroy`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareDestroy } from '../../src/services/apps/app-lifecycle.js';
import { prepareAppUpdate } from '../../src/services/apps/app-update.js';
import { createApp } from '../../src/services/apps/apps.js';
import { prepareDeploy } from '../../src/services/apps/deploy/deploy-app.js';
import { setEnv } from '../../src/services/apps/env.js';
import { prepareCronAdd, prepareCronRemove, prepareCronRun } from '../../src/services/cron/cron.js';
import { listCronTasks } from '../../src/services/cron/cron-list.js';
import type { Ctx } from '../../src/services/shared/context.js';
import { runPlan } from '../../src/services/shared/job-plan.js';
import type { Vps } from '../harness/vps/start-vps.js';
import { shouldRunVpsTests, startVpsServer, type VpsServer } from '../harness/vps/vps-server.js';

const runIt = await shouldRunVpsTests();

const TASK_SCRIPT = 'echo "version=$(cat /etc/app-version) greeting=$GREETING"';

describe.skipIf(!runIt)('cron: scheduled tasks fired by systemd on a systemd host', () => {
  let server: VpsServer;
  let vps: Vps;
  let ctx: Ctx;

  beforeAll(async () => {
    server = await startVpsServer({
      hostDocker: true,
      images: ['infrakt-test/web:3', 'infrakt-test/web:4'],
      settings: { pullPolicy: 'never' },
    });
    ({ vps, ctx } = server);
    await createApp(ctx, { server: 'vps', name: 'worker', image: 'infrakt-test/web:3', port: 3000 });
    await setEnv(ctx, 'worker', ['GREETING=hello from the env']);
    await runPlan(ctx, await prepareDeploy(ctx, 'worker'));
  }, 240_000);

  afterAll(() => server?.close(), 60_000);

  it('refuses bad input before anything reaches the server', async () => {
    const base = { app: 'worker', name: 'tick', schedule: '* * * * *', command: ['true'] };
    const cases: [Partial<typeof base>, RegExp][] = [
      [{ schedule: '61 * * * *' }, /minute 61 is outside 0-59/],
      [{ schedule: '@reboot' }, /@reboot/],
      [{ name: 'Bad Name' }, /invalid task name/],
      [{ command: [] }, /no command given/],
      [{ command: ['echo', 'a\nb'] }, /line break/],
      [{ app: 'nope' }, /app 'nope' not found|not found/],
    ];
    for (const [patch, message] of cases) {
      await expect(prepareCronAdd(ctx, { ...base, ...patch })).rejects.toThrow(message);
    }
    await expect(prepareCronAdd(ctx, { ...base, timeoutSeconds: 0 })).rejects.toThrow(/--timeout/);
    expect(await ctx.store.db.selectFrom('cron_tasks').selectAll().execute()).toEqual([]);
    const left = await vps.sh('ls /etc/systemd/system | grep infrakt-task; ls /opt/infrakt/apps/worker/tasks 2>&1');
    expect(left.stdout).not.toContain('infrakt-task');
    expect(left.stdout).toContain('No such file');
  });

  it('installs an active timer that systemd fires; the result shows in cron list', async () => {
    const added = await runPlan(
      ctx,
      await prepareCronAdd(ctx, {
        app: 'worker',
        name: 'tick',
        schedule: '* * * * *',
        command: ['sh', '-c', TASK_SCRIPT],
      }),
    );
    expect(added.task).toMatchObject({ mechanism: 'systemd', schedule: '* * * * *' });
    const unit = added.task.unit;
    const active = await vps.sh(`systemctl is-enabled ${unit}.timer && systemctl is-active ${unit}.timer`);
    expect(active.stdout.trim().split('\n')).toEqual(['enabled', 'active']);
    await expect(
      prepareCronAdd(ctx, { app: 'worker', name: 'tick', schedule: '@daily', command: ['true'] }),
    ).rejects.toThrow(/already has a task named 'tick'/);

    // Nobody starts it: the timer fires at the next full minute.
    const started = Date.now();
    let last = (await listCronTasks(ctx))[0]?.last;
    while (last?.status !== 'ok' && Date.now() - started < 150_000) {
      await new Promise((r) => setTimeout(r, 2000));
      last = (await listCronTasks(ctx))[0]?.last;
    }
    console.info(`timer fired and the run was reported ${Date.now() - started} ms after cron add`);
    expect(last).toMatchObject({ status: 'ok', exitCode: 0, trigger: 'timer', release: 1 });
    expect(last?.logTail).toContain('version=v3 greeting=hello from the env');
    expect(last?.durationMs).toBeGreaterThan(0);
    const journal = await vps.sh(`journalctl -u ${unit}.service --no-pager -n 20`);
    expect(journal.stdout).toContain('version=v3');
    // The one-off container is gone after the run.
    expect((await vps.sh('docker ps -aq --filter name=worker-r1-task')).stdout.trim()).toBe('');
  }, 200_000);

  it('runs the new release after a redeploy; cron run records a manual run', async () => {
    const update = await prepareAppUpdate(ctx, 'worker', { image: 'infrakt-test/web:4' });
    if (update.plan) await runPlan(ctx, update.plan);
    else await update.store();
    await runPlan(ctx, await prepareDeploy(ctx, 'worker'));
    const run = await runPlan(ctx, await prepareCronRun(ctx, 'tick'));
    expect(run.exitCode).toBe(0);
    const logs = await ctx.jobs.logs(run.jobId);
    expect(logs.map((l) => l.line)).toContain('version=v4 greeting=hello from the env');
    const [task] = await listCronTasks(ctx, { app: 'worker' });
    expect(task?.last).toMatchObject({ status: 'ok', trigger: 'manual', release: 2 });
  }, 120_000);

  it('reports a failing task with its exit code and output', async () => {
    await runPlan(
      ctx,
      await prepareCronAdd(ctx, {
        app: 'worker',
        name: 'fails',
        schedule: '0 3 * * *',
        command: ['sh', '-c', 'echo about to fail; exit 3'],
      }),
    );
    await expect(runPlan(ctx, await prepareCronRun(ctx, 'fails'))).rejects.toThrow(/task fails exited 3/);
    const failed = (await listCronTasks(ctx)).find((t) => t.name === 'fails');
    expect(failed?.last).toMatchObject({ status: 'failed', exitCode: 3, message: 'exited 3' });
    expect(failed?.last?.logTail).toContain('about to fail');
    const unit = failed!.unit;
    await runPlan(ctx, await prepareCronRemove(ctx, 'fails'));
    const gone = await vps.sh(`ls /etc/systemd/system/${unit}.timer 2>&1; systemctl is-active ${unit}.timer`);
    expect(gone.stdout).toContain('No such file');
    expect((await listCronTasks(ctx)).map((t) => t.name)).toEqual(['tick']);
  }, 120_000);

  it('app destroy removes the timers of its tasks', async () => {
    const [task] = await listCronTasks(ctx, { live: false });
    await runPlan(ctx, await prepareDestroy(ctx, 'worker'));
    const gone = await vps.sh(`ls /etc/systemd/system/${task!.unit}.timer 2>&1`);
    expect(gone.stdout).toContain('No such file');
    expect(await ctx.store.db.selectFrom('cron_tasks').selectAll().execute()).toEqual([]);
  }, 120_000);
});
