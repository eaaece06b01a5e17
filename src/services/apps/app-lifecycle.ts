import type { AppRow, ServerRow } from '../../adapters/store/schema.js';
import * as compose from '../../core/commands/compose.js';
import * as docker from '../../core/commands/docker.js';
import * as fs from '../../core/commands/fs.js';
import { InfraktError } from '../../core/errors.js';
import { runChecked, type StreamName } from '../../core/executor.js';
import { releaseTarget } from '../../core/plans/deploy.js';
import { appLayout, releaseProject, servicesProject, sharedNetwork } from '../../core/plans/layout.js';
import { applyProxyConfig } from '../proxy/proxy-config.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { appJobSpec } from '../shared/job-spec.js';
import { appLockName } from '../shared/lock-on-server.js';
import { withServer } from '../shared/server-session.js';
import { resolveApp, updateApp } from './apps.js';
import { appProjects, detectFlavour, keptRelease, releaseDetails } from './releases.js';

const lifecycleSpec = (app: AppRow, server: ServerRow, kind: string) =>
  appJobSpec(app, server, kind, { params: { app: app.name } });

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
  opts: { server?: string } = {},
): Promise<JobPlan<{ app: string; removed: string[] }>> {
  const { app, server } = await resolveApp(ctx, name, opts.server);
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
        await job.step('remove images', async () => {
          await ex.run(docker.removeImagesByRepo(`infrakt-app/${app.name}`));
        });
        await job.step('remove app directory', async (s) => {
          await runChecked(ex, fs.rmrf(l.dir), { what: 'remove app directory' });
          s.detail(l.dir);
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
        await audit(ctx, 'app.destroy', `${server.name}/${app.name}`, { projects: removed });
        return { app: app.name, removed };
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
