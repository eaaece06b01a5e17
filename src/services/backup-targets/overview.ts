import type { BackupOverview } from '../../core/schemas/views/backups.js';
import { isDatabase, toDatabaseView } from '../databases/model.js';
import type { Ctx } from '../shared/context.js';
import { lastRuns, type SubjectRuns } from './runs.js';
import { listTargets } from './targets.js';

export type { BackupOverview };

/**
 * The backup state of everything, from local records only (no SSH, so the dashboard stays fast): targets with
 * their last check, the last off-site push of each database, the last local and off-site backup of each app.
 * A schedule's own runs are read from the server by `db list` / the database page.
 */
export async function backupOverview(ctx: Ctx): Promise<BackupOverview> {
  const rows = await ctx.store.db
    .selectFrom('apps')
    .innerJoin('servers', 'servers.id', 'apps.server_id')
    .selectAll('apps')
    .select('servers.name as server_name')
    .orderBy('servers.name')
    .orderBy('apps.name')
    .execute();
  const serverIds = [...new Set(rows.map((r) => r.server_id))];
  const [dbRuns, appRuns, targets] = await Promise.all([
    lastRuns(ctx, 'db', serverIds),
    lastRuns(ctx, 'app', serverIds),
    listTargets(ctx),
  ]);
  const none: SubjectRuns = { local: null, offsite: null };
  const databases: BackupOverview['databases'] = [];
  const apps: BackupOverview['apps'] = [];
  for (const r of rows) {
    const key = `${r.server_id}/${r.name}`;
    if (isDatabase(r)) {
      const d = toDatabaseView(r, r.server_name);
      databases.push({
        name: d.name,
        server: d.server,
        type: d.type,
        scheduleTarget: d.schedule?.target ?? null,
        ...(dbRuns.get(key) ?? none),
      });
    } else apps.push({ name: r.name, server: r.server_name, type: r.app_type, ...(appRuns.get(key) ?? none) });
  }
  return { targets, databases, apps };
}
