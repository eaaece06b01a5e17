import type { AppRow, ServerRow } from '../../adapters/store/schema.js';
import * as compose from '../../core/commands/compose.js';
import * as docker from '../../core/commands/docker.js';
import * as fs from '../../core/commands/fs.js';
import { InfraktError } from '../../core/errors.js';
import { runChecked, type StreamName } from '../../core/executor.js';
import { releaseTarget } from '../../core/plans/deploy.js';
import { appLayout, releaseProject, servicesProject, sharedNetwork } from '../../core/plans/layout.js';
import { clusterAppLogs, prepareClusterAppDestroy } from '../clusters/cluster-app-ops.js';
import { clusterAppOf } from '../clusters/cluster-apps.js';
import { removeAppTasks } from '../cron/cron.js';
import { applyProxyConfig } from '../proxy/proxy-config.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { appJobSpec } from '../shared/job-spec.js';
import { appLockName } from '../shared/lock-on-server.js';
import { withServer } from '../shared/server-session.js';
import { appSettings } from './app-settings.js';
import { resolveApp, updateApp } from './apps.js';
import { waitForHealthyResponse } from './health-check.js';
import { appProjects, detectFlavour, keptRelease, releaseDetails } from './releases.js';

const lifecycleSpec = (app: AppRow, server: ServerRow, kind: string) =>
  appJobSpec(app, server, kind, { params: { app: app.name } });

/** Restart and stop act on one server's containers; a cluster app's replicas are Swarm's to run. */
async function refuseClusterApp(ctx: Ctx, app: AppRow, verb: string): Promise<void> {
  if (!(await clusterAppOf(ctx, app))) return;
  throw new InfraktError('UNSUPPORTED', `'${app.name}' runs on a cluster: Swarm keeps its replicas running`, {
    hint:
      verb === 'stop'
        ? `scale it to 0: infrakt app scale ${app.name} 0`
        : `redeploy it: infrakt app deploy ${app.name}`,
  });
}

function currentProjects(app: AppRow): string[] {
  if (app.current_release === null) {
    throw new InfraktError('STATE', `'${app.name}' is not deployed`, {
      hint: `deploy it first: infrakt app deploy ${app.name}`,
    });
  }
  return [
    releaseProject(app.name, app.current_release),
    ...(app.app_type === 'image' ? [] : [servicesProject(app.name)]),
  ];
}

/** `app restart`: restarts the containers of the current release (and the app's other services). */
export async function prepareRestart(
  ctx: Ctx,
  name: string,
  opts: { server?: string } = {},
): Promise<JobPlan<{ app: string }>> {
  const { app, server } = await resolveApp(ctx, name, opts.server);
  await refuseClusterApp(ctx, app, 'restart');
  const projects = currentProjects(app);
  return {
    spec: lifecycleSpec(app, server, 'app.restart'),
    body: (job) =>
      withServer(ctx, job, server, { lock: null }, async ({ ex }) => {
        // Services first (the routed release may depend on them), then the release.
        await job.step('restart containers', async () => {
          for (const p of [...projects].reverse())
            await runChecked(ex, docker.restartProject(p), { signal: job.signal, what: `restart ${p}` });
        });
        if (app.domain) {
          // Releases publish a fixed port now; ones deployed with a Docker-chosen port may have moved: follow them.
          await job.step('update proxy route', async (s) => {
            const dep = await keptRelease(ctx, app, app.current_release!);
            const flavour = await detectFlavour(ex);
            const t = releaseTarget({ app: app.name, root: server.root_dir, release: app.current_release!, flavour });
            const out = await runChecked(ex, compose.port(t, releaseDetails(dep).service || 'app', app.port), {
              what: 'compose port',
            });
            const port = Number(out.stdout.trim().split('\n').at(-1)?.split(':').at(-1));
            if (!Number.isInteger(port) || port <= 0)
              throw new InfraktError(
                'STATE',
                `the restarted release of '${app.name}' publishes no port (not running?)`,
                {
                  hint: `see why with: infrakt app logs ${app.name} — then fix and redeploy`,
                },
              );
            const route = await ctx.store.db
              .selectFrom('proxy_routes')
              .select(['id', 'upstream_port'])
              .where('app_id', '=', app.id)
              .executeTakeFirst();
            if (route?.upstream_port === port) return s.unchanged(`still 127.0.0.1:${port}`);
            if (route)
              await ctx.store.db
                .updateTable('proxy_routes')
                .set({ upstream_port: port })
                .where('id', '=', route.id)
                .execute();
            await applyProxyConfig(ctx, ex, server, { log: (m) => s.log(m), jobId: job.id, expectChange: true });
            s.detail(`${app.domain} → 127.0.0.1:${port}`);
          });
        }
        return settle(ctx, app, server, 'running', 'app.restart');
      }),
  };
}

/**
 * `app start` (the inverse of `stop`): starts the containers of the current release (and the app's other
 * services), then waits for the release to answer its health check; status `running`.
 */
export async function prepareStart(
  ctx: Ctx,
  name: string,
  opts: { server?: string } = {},
): Promise<JobPlan<{ app: string }>> {
  const { app, server } = await resolveApp(ctx, name, opts.server);
  const projects = currentProjects(app);
  const dep = await keptRelease(ctx, app, app.current_release!);
  return {
    spec: appJobSpec(app, server, 'app.start', {
      params: { app: app.name },
      steps: ['connect', 'start containers', 'health check'],
    }),
    body: (job) =>
      withServer(ctx, job, server, { lock: null }, async ({ ex }) => {
        await job.step('start containers', async (s) => {
          // Services first: the routed release may depend on them.
          for (const p of [...projects].reverse())
            await runChecked(ex, docker.startProject(p), { signal: job.signal, what: `start ${p}` });
          s.detail(projects.join(', '));
        });
        await job.step('health check', async (s) => {
          if (dep.host_port === null) return s.unchanged('the release publishes no port');
          const { health } = appSettings(app);
          const r = await waitForHealthyResponse(ex, {
            port: dep.host_port,
            health,
            project: projects[0]!,
            signal: job.signal,
            log: (m) => s.log(m),
          });
          s.detail(`HTTP ${r.status} on ${health.path} after ${r.attempts} probe(s)`);
        });
        return settle(ctx, app, server, 'running', 'app.start');
      }),
  };
}

/**
 * `app forget`: drops the local record of an app (its variables, deployments and routes with it) without
 * touching any server — for an app whose server is gone. `app destroy` is the way to remove a running app.
 */
export async function forgetApp(
  ctx: Ctx,
  name: string,
  opts: { server?: string } = {},
): Promise<{ app: string; server: string }> {
  const { app, server } = await resolveApp(ctx, name, opts.server);
  await ctx.store.db.deleteFrom('apps').where('id', '=', app.id).execute();
  await audit(ctx, 'app.forget', `${server.name}/${app.name}`, { type: app.app_type });
  return { app: app.name, server: server.name };
}

/** Records the app's new status and the audit event once its containers did what was asked. */
async function settle(ctx: Ctx, app: AppRow, server: ServerRow, status: 'running' | 'stopped', action: string) {
  await updateApp(ctx, app.id, { status });
  await audit(ctx, action, `${server.name}/${app.name}`, {});
  return { app: app.name };
}

/** `app stop`: stops the containers (kept for `app restart` or the next deploy); status `stopped`. */
export async function prepareStop(
  ctx: Ctx,
  name: string,
  opts: { server?: string } = {},
): Promise<JobPlan<{ app: string }>> {
  const { app, server } = await resolveApp(ctx, name, opts.server);
  await refuseClusterApp(ctx, app, 'stop');
  const projects = currentProjects(app);
  return {
    spec: lifecycleSpec(app, server, 'app.stop'),
    body: (job) =>
      withServer(ctx, job, server, { lock: null }, async ({ ex }) => {
        await job.step('stop containers', async () => {
          for (const p of projects)
            await runChecked(ex, docker.stopProject(p), { signal: job.signal, what: `stop ${p}` });
        });
        return settle(ctx, app, server, 'stopped', 'app.stop');
      }),
  };
}

/**
 * `app destroy`: every container, volume and network of the app, its images, its directory and its route are
 * removed on the server, then the record (with its variables and deployments) is deleted.
 */
export async function prepareDestroy(
  ctx: Ctx,
  name: string,
  opts: { server?: string; volumes?: boolean } = {},
): Promise<JobPlan<{ app: string; removed: string[]; keptVolumes: boolean }>> {
  const { app, server } = await resolveApp(ctx, name, opts.server);
  const onCluster = await prepareClusterAppDestroy(ctx, app, server);
  if (onCluster) return onCluster;
  const l = appLayout(server.root_dir, app.name);
  const lock = { name: appLockName(app.name), step: 'lock app on server' };
  return {
    spec: lifecycleSpec(app, server, 'app.destroy'),
    body: (job) =>
      withServer(ctx, job, server, { lock }, async ({ ex }) => {
        const removed: string[] = [];
        await job.step('remove containers and networks', async (s) => {
          const projects = new Set([...(await appProjects(ex, server, app)), servicesProject(app.name)]);
          for (const p of projects)
            await runChecked(ex, docker.removeProject(p, { volumes: true, stopSeconds: 5 }), {
              signal: job.signal,
              what: `remove ${p}`,
            });
          await ex.run(docker.removeNetwork(sharedNetwork(app.name)));
          await ex.run(
            docker.removeVolumesByLabels({ [docker.LABEL_APP]: app.name, [docker.LABEL_ROOT]: server.root_dir }),
          );
          removed.push(...projects);
          s.detail([...projects].join(', '));
        });
        await job.step('named volumes', async (s) => {
          const labels = { [docker.LABEL_VOLUME_OF]: app.name, [docker.LABEL_ROOT]: server.root_dir };
          if (!opts.volumes) {
            const r = await ex.run(docker.volumesByLabels(labels));
            const kept = r.stdout.split('\n').filter(Boolean);
            if (kept.length) job.log(`kept volume(s) ${kept.join(', ')}: remove them with app destroy --volumes`);
            return s.unchanged(kept.length ? `kept ${kept.join(', ')}` : 'none');
          }
          await ex.run(docker.removeVolumesByLabels(labels));
          s.detail('removed');
        });
        await job.step('remove images', async () => {
          await ex.run(docker.removeImagesByRepo(`infrakt-app/${app.name}`));
        });
        await job.step('remove scheduled tasks', async (s) => {
          const tasks = await removeAppTasks(ctx, ex, server, app);
          if (tasks.length === 0) return s.unchanged('the app had no scheduled tasks');
          s.detail(tasks.join(', '));
        });
        await job.step('remove app directory', async (s) => {
          if (opts.volumes) await runChecked(ex, fs.rmrf(l.dir), { what: 'remove app directory' });
          // Without --volumes the bind mounts' data stays (in <app dir>/mounts, nothing else).
          else await runChecked(ex, fs.rmrfExcept(l.dir, 'mounts'), { what: 'remove app directory' });
          s.detail(opts.volumes ? l.dir : `${l.dir} (mounts/ kept)`);
        });
        await job.step('remove proxy route', async (s) => {
          const res = await ctx.store.db.deleteFrom('proxy_routes').where('app_id', '=', app.id).executeTakeFirst();
          if (Number(res.numDeletedRows) === 0) return s.unchanged('the app had no route');
          await applyProxyConfig(ctx, ex, server, { log: (m) => s.log(m), jobId: job.id });
          s.detail(app.domain ?? '');
        });
        await job.step('forget app', async () => {
          await ctx.store.db.deleteFrom('apps').where('id', '=', app.id).execute();
        });
        await audit(ctx, 'app.destroy', `${server.name}/${app.name}`, {
          projects: removed,
          volumes: Boolean(opts.volumes),
        });
        return { app: app.name, removed, keptVolumes: !opts.volumes };
      }),
  };
}

/** `app logs`: the last lines of the current release (and, for compose apps, the other services); `follow` streams. */
export async function appLogs(
  ctx: Ctx,
  name: string,
  opts: {
    server?: string;
    lines?: number;
    follow?: boolean;
    signal?: AbortSignal;
    onLine: (stream: StreamName, line: string) => void;
  },
): Promise<void> {
  const { app, server } = await resolveApp(ctx, name, opts.server);
  if (await clusterAppLogs(ctx, app, opts)) return;
  const [project] = currentProjects(app);
  const ex = await ctx.connect(server, opts.signal ? { signal: opts.signal } : {});
  try {
    const flavour = await detectFlavour(ex);
    const l = appLayout(server.root_dir, app.name);
    const target = { flavour, project: project!, file: l.releaseFile(app.current_release!) };
    const r = await ex.stream(
      compose.logs(target, { lines: opts.lines ?? 100, follow: Boolean(opts.follow) }),
      opts.onLine,
      opts.signal ? { signal: opts.signal } : {},
    );
    if (r.exitCode !== 0 && !opts.signal?.aborted)
      throw new InfraktError('COMMAND_FAILED', `compose logs exited ${r.exitCode}`);
  } finally {
    await ex.close();
  }
}
