import * as docker from '../../core/commands/docker.js';
import * as fs from '../../core/commands/fs.js';
import { runChecked } from '../../core/executor.js';
import { dbLayout } from '../../core/plans/db-compose.js';
import type { DatabaseView } from '../../core/schemas/views/databases.js';
import { getServerRow } from '../servers/servers.js';
import { visible } from '../shared/access.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { appJobSpec } from '../shared/job-spec.js';
import { appLockName } from '../shared/lock-on-server.js';
import { withServer } from '../shared/server-session.js';
import { removeSchedule } from './backups-schedule.js';
import { resolveDatabase, toDatabaseView } from './model.js';

export async function listDatabases(ctx: Ctx, opts: { server?: string } = {}): Promise<DatabaseView[]> {
  let q = ctx.store.db
    .selectFrom('apps')
    .innerJoin('servers', 'servers.id', 'apps.server_id')
    .selectAll('apps')
    .select('servers.name as server_name')
    .where('apps.app_type', 'like', 'db:%')
    .orderBy('servers.name')
    .orderBy('apps.name');
  if (opts.server) q = q.where('apps.server_id', '=', (await getServerRow(ctx, opts.server)).id);
  const rows = await q.execute();
  return visible(ctx, rows, (r) => ({ server: r.server_name, app: r.name })).map((r) =>
    toDatabaseView(r, r.server_name),
  );
}

export async function getDatabase(ctx: Ctx, name: string, server?: string): Promise<DatabaseView> {
  const { app, server: srv } = await resolveDatabase(ctx, name, server);
  return toDatabaseView(app, srv.name);
}

/**
 * `db destroy`: stops the database and removes its containers, volume (all data), schedule and app dir on the
 * server, then the record. Backups under `<root>/backups/<name>` are kept (they are the way back).
 */
export async function prepareDestroyDatabase(
  ctx: Ctx,
  name: string,
  opts: { server?: string } = {},
): Promise<JobPlan<{ database: string; backupsKept: string }>> {
  const { app, server, settings } = await resolveDatabase(ctx, name, opts.server);
  const l = dbLayout(server.root_dir, app.name);
  return {
    spec: appJobSpec(app, server, 'db.destroy', {
      params: { database: app.name },
      steps: [
        'connect',
        'lock on server',
        'remove schedule',
        'remove containers and volume',
        'remove app directory',
        'forget database',
      ],
    }),
    body: (job) =>
      withServer(ctx, job, server, { lock: { name: appLockName(app.name) } }, async ({ ex }) => {
        await job.step('remove schedule', async (s) => {
          if (!settings.schedule) return s.unchanged('no schedule');
          await removeSchedule(ex, server, app.name, settings.schedule);
          s.detail(settings.schedule.unit);
        });
        await job.step('remove containers and volume', async (s) => {
          await runChecked(ex, docker.removeProject(app.name, { volumes: true, stopSeconds: 10 }), {
            signal: job.signal,
            what: 'remove containers',
          });
          await ex.run(
            docker.removeVolumesByLabels({ [docker.LABEL_APP]: app.name, [docker.LABEL_ROOT]: server.root_dir }),
          );
          s.detail(app.name);
        });
        await job.step('remove app directory', async (s) => {
          await runChecked(ex, fs.rmrf(l.dir), { what: 'remove app directory' });
          await ex.run(fs.rmFile(l.backupScript));
          s.detail(l.dir);
        });
        await job.step('forget database', async () => {
          await ctx.store.db.deleteFrom('apps').where('id', '=', app.id).execute();
        });
        await audit(ctx, 'db.destroy', `${server.name}/${app.name}`, {});
        return { database: app.name, backupsKept: l.backupsDir };
      }),
  };
}

// `db create` lives in its own file (it is most of the code); callers may import it from here.
export { type CreateDatabaseInput, type CreateDatabaseResult, prepareCreateDatabase } from './create.js';
