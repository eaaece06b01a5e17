// `app update APP --pre-backup-hook CMD`: a command run in the app's running container before its volumes are
// backed up — typically a dump of the database the app keeps in a volume (`pg_dump … > /data/dump.sql`), the
// same idea as docker-volume-backup's archive-pre label. A non-zero exit fails the backup before anything is
// paused or read: a backup of half-written data that claims success is worse than none.

import type { AppRow, ServerRow } from '../../adapters/store/schema.js';
import { InfraktError } from '../../core/errors.js';
import { type Executor, tail } from '../../core/executor.js';
import type { JobContext } from '../../core/jobs.js';
import { execInAppCommand } from '../apps/app-exec.js';
import { appSettings } from '../apps/app-settings.js';
import { decryptedEnv } from '../apps/env.js';
import type { Ctx } from '../shared/context.js';

/** How long a hook may run before the backup gives up on it (a large dump takes a while). */
export const PRE_BACKUP_HOOK_TIMEOUT_MS = 30 * 60_000;

export const PRE_BACKUP_HOOK_STEP = 'pre-backup hook';

export async function runPreBackupHook(
  ctx: Ctx,
  job: JobContext,
  ex: Executor,
  server: ServerRow,
  app: AppRow,
): Promise<void> {
  const hook = appSettings(app).preBackupHook;
  await job.step(PRE_BACKUP_HOOK_STEP, async (s) => {
    if (!hook) return s.unchanged('no pre-backup hook (app update --pre-backup-hook)');
    if (app.current_release === null)
      throw new InfraktError('STATE', `'${app.name}' is not deployed: its pre-backup hook has no container to run in`, {
        hint: `deploy it first (infrakt app deploy ${app.name}) or remove the hook: infrakt app update ${app.name} --pre-backup-hook none`,
      });
    // Run by the container's shell, as a release command is: the user's own command in the user's own container.
    const cmd = await execInAppCommand(ctx, app.name, server.name, ['sh', '-c', hook]);
    const secrets = [...(await decryptedEnv(ctx, app)).values()];
    s.log(`$ ${hook}`);
    const r = await ex.run(cmd, {
      signal: job.signal,
      timeoutMs: PRE_BACKUP_HOOK_TIMEOUT_MS,
      secrets,
      onLine: (_stream, line) => s.log(line),
    });
    s.exitCode(r.exitCode);
    if (r.exitCode !== 0)
      throw new InfraktError(
        'COMMAND_FAILED',
        `the pre-backup hook of '${app.name}' exited ${r.exitCode}: no backup was made`,
        {
          hint: 'its output is in the job log (infrakt job logs <id>); fix the hook (app update --pre-backup-hook) and back up again',
          details: { exitCode: r.exitCode, stderrTail: tail(r.stderr || r.stdout, 10) },
        },
      );
    s.detail(`exit 0 in ${(r.durationMs / 1000).toFixed(1)} s`);
  });
}
