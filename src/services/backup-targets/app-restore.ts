import { randomBytes } from 'node:crypto';
import * as fs from '../../core/commands/fs.js';
import * as restic from '../../core/commands/restic.js';
import { parseSnapshots, type Snapshot } from '../../core/commands/restic-output.js';
import { asRoot } from '../../core/commands/sudo.js';
import * as vol from '../../core/commands/volumes.js';
import { InfraktError } from '../../core/errors.js';
import { runChecked } from '../../core/executor.js';
import { releaseProject } from '../../core/plans/layout.js';
import type { AppBackupList, AppSnapshotView } from '../../core/schemas/views/backups.js';
import { resolveApp } from '../apps/apps.js';
import { waitForHealthyResponse } from '../apps/health-check.js';
import { appSettings } from '../apps/release-source.js';
import { keptRelease } from '../apps/releases.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { appJobSpec } from '../shared/job-spec.js';
import { appLockName } from '../shared/lock-on-server.js';
import { withServer } from '../shared/server-session.js';
import { addRepoSecrets, appContainerIds, appVolumes, repoFor } from './app-volumes.js';
import { openRepoStep } from './push.js';
import { runsOf, targetOfSnapshot } from './runs.js';
import { openSession } from './session.js';

export type { AppBackupList, AppSnapshotView };

/** `app backups APP`: snapshots of the app in its local repository and every target it was backed up to. */
export async function listAppBackups(ctx: Ctx, name: string, opts: { server?: string } = {}): Promise<AppBackupList> {
  const { app, server } = await resolveApp(ctx, name, opts.server);
  const runs = await runsOf(ctx, server.id, 'app', app.name);
  const targets = [...new Set(runs.filter((r) => r.status === 'ok').map((r) => r.target))];
  if (!targets.includes(null)) targets.unshift(null);
  const snapshots: AppSnapshotView[] = [];
  const errors: AppBackupList['errors'] = [];
  const ex = await ctx.connect(server);
  try {
    for (const target of targets) {
      try {
        const repo = await repoFor(ctx, server, target);
        const session = await openSession(ctx, ex, server, repo, () => undefined);
        try {
          const r = await session.run(
            restic.snapshots({ tag: restic.subjectTag('app', app.name), host: server.name }),
            {
              root: true,
            },
          );
          if (r.exitCode !== 0) {
            // A local repository that was never created simply has no snapshots.
            if (target !== null) errors.push({ target, message: `restic exited ${r.exitCode}` });
            continue;
          }
          for (const s of parseSnapshots(r.stdout))
            snapshots.push({ id: s.id, shortId: s.shortId, time: s.time, target, paths: s.paths });
        } finally {
          await session.close();
        }
      } catch (e) {
        errors.push({ target, message: e instanceof Error ? e.message : String(e) });
      }
    }
  } finally {
    await ex.close();
  }
  snapshots.sort((a, b) => b.time.localeCompare(a.time));
  return { app: app.name, server: server.name, snapshots, runs, errors };
}

/**
 * `app restore APP SNAPSHOT [--from-target T]`: the app's containers are stopped, each volume's content is replaced
 * by the snapshot's copy (restored to a staging dir first, so a failed read changes nothing), the containers are
 * started again and the current release is health-checked. The repository is the one the snapshot was recorded in
 * (or --from-target, or the server's local repository).
 */
export async function prepareAppRestore(
  ctx: Ctx,
  name: string,
  snapshot: string,
  opts: { server?: string; target?: string } = {},
): Promise<JobPlan<{ app: string; snapshot: string; target: string | null; volumes: string[]; ms: number }>> {
  const { app, server } = await resolveApp(ctx, name, opts.server);
  if (!/^[0-9a-f]{8,64}$/.test(snapshot))
    throw new InfraktError('VALIDATION', `'${snapshot}' is not a snapshot id`, {
      hint: `list snapshots with: infrakt app backups ${app.name}`,
    });
  const target = opts.target ?? (await targetOfSnapshot(ctx, server.id, 'app', app.name, snapshot)).target ?? null;
  const where = target ? `target ${target}` : 'local repository';
  return {
    spec: appJobSpec(app, server, 'app.restore', {
      params: { app: app.name, snapshot, target },
      steps: [
        'connect',
        'lock on server',
        `open ${where}`,
        'find snapshot',
        'fetch volumes',
        'stop containers',
        'replace volumes',
        'start containers',
        'health check',
      ],
    }),
    body: async (job) => {
      const t0 = Date.now();
      const repo = await repoFor(ctx, server, target);
      addRepoSecrets(job, repo);
      const stage = `${server.root_dir}/backups/.restore-${randomBytes(4).toString('hex')}`;
      return withServer(ctx, job, server, { lock: { name: appLockName(app.name) } }, async ({ ex }) => {
        try {
          const session = await openRepoStep(ctx, job, ex, server, repo, { create: false, root: true });
          try {
            const { snap, volumes } = await job.step('find snapshot', async (s) => {
              const r = await session.checked(
                restic.snapshots({ tag: restic.subjectTag('app', app.name) }),
                'listing snapshots',
                { signal: job.signal, root: true },
              );
              const found: Snapshot[] = parseSnapshots(r.stdout).filter((x) => x.id.startsWith(snapshot));
              if (found.length !== 1)
                throw new InfraktError(
                  'NOT_FOUND',
                  `no single snapshot '${snapshot}' of app ${app.name} in the ${where}`,
                  {
                    hint: `list them with: infrakt app backups ${app.name}`,
                  },
                );
              const current = await appVolumes(ex, server, app);
              const byMount = new Map(current.map((v) => [v.mountpoint, v]));
              const missing = found[0]!.paths.filter((p) => !byMount.has(p));
              if (missing.length)
                throw new InfraktError(
                  'STATE',
                  `the snapshot holds ${missing.join(', ')}, which is no volume of ${app.name} now`,
                  {
                    hint: 'deploy the app (its volumes are created by the deploy), then restore',
                  },
                );
              s.detail(`${found[0]!.shortId} of ${found[0]!.time}: ${found[0]!.paths.length} volume(s)`);
              return { snap: found[0]!, volumes: found[0]!.paths.map((p) => byMount.get(p)!) };
            });
            await job.step('fetch volumes', async (s) => {
              await runChecked(ex, asRoot(fs.mkdirp(stage, 0o700), server.user), { what: 'mkdir staging' });
              const r = await session.checked(restic.restoreTo(snap.id, stage, snap.paths), 'reading the snapshot', {
                signal: job.signal,
                root: true,
              });
              s.exitCode(r.exitCode);
              s.detail(`into ${stage}`);
            });
            const ids = await job.step('stop containers', async (s) => {
              const running = await appContainerIds(ex, server, app);
              if (running.length) await runChecked(ex, asRoot(vol.stop(running), server.user), { what: 'docker stop' });
              s.detail(`${running.length} stopped`);
              return running;
            });
            try {
              await job.step('replace volumes', async (s) => {
                for (const v of volumes)
                  await runChecked(
                    ex,
                    asRoot(vol.replaceContent(`${stage}${v.mountpoint}`, v.mountpoint), server.user),
                    {
                      what: `restore volume ${v.name}`,
                    },
                  );
                s.detail(volumes.map((v) => v.name).join(', '));
              });
            } finally {
              // Whatever happened, the app runs again (with what its volumes hold now: the job says which).
              await job.step('start containers', async (s) => {
                if (ids.length) await runChecked(ex, asRoot(vol.start(ids), server.user), { what: 'docker start' });
                s.detail(`${ids.length} started`);
              });
            }
            await job.step('health check', async (s) => {
              if (app.current_release === null || app.app_type.startsWith('db:')) return s.unchanged('not deployed');
              const dep = await keptRelease(ctx, app, app.current_release);
              if (!dep.host_port) return s.unchanged('the release publishes no port');
              const r = await waitForHealthyResponse(ex, {
                port: dep.host_port,
                health: appSettings(app).health,
                project: releaseProject(app.name, app.current_release),
                signal: job.signal,
                log: (l) => s.log(l),
              });
              s.detail(`HTTP ${r.status} after ${r.ms} ms`);
            });
            await audit(ctx, 'app.restore', `${server.name}/${app.name}`, { snapshot: snap.id, target });
            return {
              app: app.name,
              snapshot: snap.id,
              target,
              volumes: volumes.map((v) => v.name),
              ms: Date.now() - t0,
            };
          } finally {
            await session.close();
          }
        } finally {
          await ex.run(asRoot(fs.rmrf(stage), server.user)).catch(() => undefined);
        }
      });
    },
  };
}
