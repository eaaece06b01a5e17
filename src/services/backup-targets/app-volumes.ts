import type { AppRow, ServerRow } from '../../adapters/store/schema.js';
import { asRoot } from '../../core/commands/sudo.js';
import * as vol from '../../core/commands/volumes.js';
import { InfraktError, toInfraktError } from '../../core/errors.js';
import { type Executor, runChecked } from '../../core/executor.js';
import type { JobContext } from '../../core/jobs.js';
import type { Retention } from '../../core/schemas/backup-target.js';
import { resolveApp } from '../apps/apps.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { appJobSpec } from '../shared/job-spec.js';
import { appLockName } from '../shared/lock-on-server.js';
import { withServer } from '../shared/server-session.js';
import { PRE_BACKUP_HOOK_STEP, runPreBackupHook } from './pre-backup-hook.js';
import { openRepoStep, type PushResult, pushSnapshot } from './push.js';
import { recordRun } from './runs.js';
import { localRepo, type Repo, targetRepo } from './session.js';
import { resolveTarget } from './targets.js';

export interface Volume {
  name: string;
  mountpoint: string;
}

export async function appVolumes(ex: Executor, server: ServerRow, app: Pick<AppRow, 'name'>): Promise<Volume[]> {
  const r = await runChecked(ex, asRoot(vol.appVolumes(app.name, server.root_dir), server.user), {
    what: 'list volumes',
  });
  return vol.parseVolumes(r.stdout);
}

export async function appContainerIds(ex: Executor, server: ServerRow, app: Pick<AppRow, 'name'>, all = false) {
  const r = await runChecked(ex, asRoot(vol.appContainers(app.name, server.root_dir, all), server.user), {
    what: 'list containers',
  });
  return r.stdout
    .split('\n')
    .map((x) => x.trim())
    .filter(Boolean);
}

/** The repository of an app backup: a target, or the server's local repository. */
export async function repoFor(ctx: Ctx, server: ServerRow, target: string | null): Promise<Repo> {
  return target === null ? localRepo(ctx, server) : targetRepo(await resolveTarget(ctx, target));
}

export function addRepoSecrets(job: JobContext, repo: Repo): void {
  job.addSecrets(repo.password, ...[repo.secretAccessKey, repo.sshKey].filter((s) => s !== null));
}

export interface AppBackupResult extends PushResult {
  app: string;
  volumes: string[];
  /** How long the app's containers were paused while restic read the volumes. */
  pausedMs: number;
}

/**
 * `app backup APP [--target T]`: every named volume of the app as one restic snapshot, into the target or the
 * server's local repository (`<root>/backups/restic`). Consistency: the app's running containers are paused
 * (`docker pause`, cgroup freezer) while restic reads the volumes, so no file changes mid-read — a crash-consistent
 * copy, as if the power had been cut; they are unpaused right after, also when the backup fails. An app's
 * pre-backup hook (a database dump into a volume) runs first, in its container; if it fails, nothing is backed up.
 */
export async function prepareAppBackup(
  ctx: Ctx,
  name: string,
  opts: { server?: string; target?: string; retention?: Retention | null } = {},
): Promise<JobPlan<AppBackupResult>> {
  const { app, server } = await resolveApp(ctx, name, opts.server);
  if (app.app_type.startsWith('db:'))
    throw new InfraktError('VALIDATION', `'${app.name}' is a database`, { hint: `use: infrakt db backup ${app.name}` });
  const target = opts.target === undefined ? null : (await resolveTarget(ctx, opts.target)).name;
  if (opts.retention && target === null)
    throw new InfraktError('VALIDATION', '--keep-daily/--keep-weekly/--keep-monthly go with --target');
  const where = target ? `target ${target}` : 'local repository';
  return {
    spec: appJobSpec(app, server, 'app.backup', {
      params: { app: app.name, target },
      steps: [
        'connect',
        'lock on server',
        'find volumes',
        PRE_BACKUP_HOOK_STEP,
        `open ${where}`,
        `push to ${where}`,
        'check snapshot',
        'retention',
      ],
    }),
    body: async (job) => {
      const startedAt = nowIso(ctx);
      const repo = await repoFor(ctx, server, target);
      addRepoSecrets(job, repo);
      try {
        // The server lock keeps a deploy or restore of this app (from any infrakt) out while it is paused.
        return await withServer(ctx, job, server, { lock: { name: appLockName(app.name) } }, async ({ ex }) => {
          const volumes = await job.step('find volumes', async (s) => {
            const v = await appVolumes(ex, server, app);
            if (v.length === 0)
              throw new InfraktError('STATE', `app '${app.name}' has no named volumes to back up`, {
                hint: 'only named volumes (top-level `volumes:` of a compose app) are backed up; images and env live in infrakt',
              });
            s.detail(v.map((x) => x.name).join(', '));
            return v;
          });
          await runPreBackupHook(ctx, job, ex, server, app);
          const session = await openRepoStep(ctx, job, ex, server, repo, { root: true });
          let paused: string[] = [];
          let pausedAt = 0;
          let pausedMs = 0;
          try {
            const pushed = await pushSnapshot(job, server, session, {
              kind: 'app',
              name: app.name,
              paths: volumes.map((v) => v.mountpoint),
              retention: opts.retention ?? null,
              root: true,
              around: {
                before: async () => {
                  paused = await appContainerIds(ex, server, app);
                  if (paused.length === 0) return 'no running containers: nothing to pause';
                  await runChecked(ex, asRoot(vol.pause(paused), server.user), { what: 'docker pause' });
                  pausedAt = Date.now();
                  return `paused ${paused.length} container(s) while the volumes are read`;
                },
                after: async () => {
                  if (paused.length === 0) return;
                  await runChecked(ex, asRoot(vol.unpause(paused), server.user), { what: 'docker unpause' });
                  pausedMs = Date.now() - pausedAt;
                  job.log(`unpaused ${paused.length} container(s) after ${pausedMs} ms`);
                },
              },
            });
            await recordRun(ctx, {
              serverId: server.id,
              kind: 'app',
              subject: app.name,
              target,
              status: 'ok',
              snapshotId: pushed.snapshotId,
              bytes: pushed.bytesProcessed,
              message: volumes.map((v) => v.name).join(', '),
              jobId: job.id,
              startedAt,
            });
            await audit(ctx, 'app.backup', `${server.name}/${app.name}`, { target, snapshot: pushed.snapshotId });
            return { ...pushed, app: app.name, volumes: volumes.map((v) => v.name), pausedMs };
          } finally {
            await session.close();
          }
        });
      } catch (e) {
        const err = toInfraktError(e);
        await recordRun(ctx, {
          serverId: server.id,
          kind: 'app',
          subject: app.name,
          target,
          status: 'failed',
          message: err.message,
          jobId: job.id,
          startedAt,
        });
        throw err;
      }
    },
  };
}
