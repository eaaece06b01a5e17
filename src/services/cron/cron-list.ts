import { toInfraktError } from '../../core/errors.js';
import { type Executor, runChecked } from '../../core/executor.js';
import { NEVER_RUN, parseTaskResults, readTaskResults } from '../../core/plans/cron-task.js';
import { appLayout } from '../../core/plans/layout.js';
import type { CronTaskView } from '../../core/schemas/views/cron.js';
import { resolveApp } from '../apps/apps.js';
import type { Ctx } from '../shared/context.js';
import { toCronView } from './cron.js';

export interface CronListOptions {
  readonly app?: string;
  readonly server?: string;
  /** Read each task's last result from its server (one round trip per server, in parallel). Default true. */
  readonly live?: boolean;
}

/** `cron list`: the tasks, with the result, duration and log tail of each one's last run. */
export async function listCronTasks(ctx: Ctx, opts: CronListOptions = {}): Promise<CronTaskView[]> {
  let q = ctx.store.db
    .selectFrom('cron_tasks')
    .innerJoin('apps', 'apps.id', 'cron_tasks.app_id')
    .innerJoin('servers', 'servers.id', 'apps.server_id')
    .selectAll('cron_tasks')
    .select(['apps.name as app_name', 'servers.name as server_name', 'servers.root_dir as root'])
    .orderBy('servers.name')
    .orderBy('apps.name')
    .orderBy('cron_tasks.name');
  if (opts.app) q = q.where('cron_tasks.app_id', '=', (await resolveApp(ctx, opts.app, opts.server)).app.id);
  else if (opts.server) q = q.where('servers.name', '=', opts.server);
  const rows = await q.execute();
  const views = rows.map((r) => ({ view: toCronView(r, r.app_name, r.server_name), root: r.root }));
  if (opts.live === false) return views.map((v) => v.view);
  const byServer = new Map<string, typeof views>();
  for (const v of views) byServer.set(v.view.server, [...(byServer.get(v.view.server) ?? []), v]);
  await Promise.all([...byServer].map(([server, list]) => readServer(ctx, server, list)));
  return views.map((v) => v.view);
}

async function readServer(ctx: Ctx, serverName: string, list: { view: CronTaskView; root: string }[]): Promise<void> {
  const dirs = list.map((v) => appLayout(v.root, v.view.app).taskDir(v.view.name));
  let ex: Executor | null = null;
  try {
    const server = await ctx.store.db
      .selectFrom('servers')
      .selectAll()
      .where('name', '=', serverName)
      .executeTakeFirstOrThrow();
    ex = await ctx.connect(server);
    const r = await runChecked(ex, readTaskResults(dirs), { what: 'read task results', timeoutMs: 30_000 });
    const results = parseTaskResults(r.stdout);
    for (const [i, v] of list.entries()) v.view.last = results.get(dirs[i]!) ?? NEVER_RUN;
  } catch (e) {
    const message = toInfraktError(e).message;
    for (const v of list) v.view.last = { ...NEVER_RUN, status: 'unknown', message };
  } finally {
    if (ex) await ex.close().catch(() => undefined);
  }
}
