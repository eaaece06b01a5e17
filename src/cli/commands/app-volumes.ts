import type { Command } from 'commander';
import { parseRetention } from '../../core/schemas/backup-target.js';
import { listAppBackups, prepareAppRestore } from '../../services/backup-targets/app-restore.js';
import { prepareAppBackup } from '../../services/backup-targets/app-volumes.js';
import { withCtx } from '../context.js';
import { intOption } from '../options.js';
import { c, printJson, printTable, status } from '../output.js';
import { runPlanCli } from '../progress.js';
import { confirm } from '../prompt.js';

const where = (t: string | null) => (t === null ? 'local' : t);

/** `app backup|backups|restore`: the app's named volumes (services/backup-targets/app-volumes, app-restore). */
export function registerAppVolumeCommands(app: Command): void {
  app
    .command('backup <name>')
    .description(
      "back up the app's named volumes (containers paused meanwhile) to the server's local repository or --target",
    )
    .option('--server <server>', 'server of the app')
    .option('--target <target>', 'push to this off-site target instead of the local repository')
    .option('--keep-daily <n>', 'with --target: daily snapshots to keep', intOption)
    .option('--keep-weekly <n>', 'with --target: weekly snapshots to keep', intOption)
    .option('--keep-monthly <n>', 'with --target: monthly snapshots to keep', intOption)
    .option('--json', 'print the job record as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const retention = parseRetention({ daily: o.keepDaily, weekly: o.keepWeekly, monthly: o.keepMonthly });
        const plan = await prepareAppBackup(ctx, name, { server: o.server, target: o.target, retention });
        const r = await runPlanCli(ctx, plan, o.json);
        if (!o.json)
          process.stdout.write(
            `  snapshot ${c.bold(r.snapshotId)} in ${where(r.target)}: ${r.volumes.join(', ')} (containers paused ${r.pausedMs} ms)\n`,
          );
      });
    });

  app
    .command('backups <name>')
    .description('list the snapshots of an app (local repository and targets) and its last backup runs')
    .option('--server <server>', 'server of the app')
    .option('--json', 'print as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const r = await listAppBackups(ctx, name, { server: o.server });
        if (o.json) return printJson(r);
        printTable(
          ['SNAPSHOT', 'TIME', 'WHERE', 'VOLUMES'],
          r.snapshots.map((s) => [s.shortId, s.time, where(s.target), String(s.paths.length)]),
          `no backups of ${r.app} yet — take one with: infrakt app backup ${r.app}`,
        );
        const last = r.runs[0];
        if (last)
          process.stdout.write(
            `last backup: ${status(last.status)} to ${where(last.target)} at ${last.at}${last.status === 'failed' && last.message ? ` — ${last.message}` : ''}\n`,
          );
        for (const e of r.errors) process.stdout.write(`${c.red('could not read')} ${where(e.target)}: ${e.message}\n`);
      });
    });

  app
    .command('restore <name> <snapshot>')
    .description("replace the app's volumes with a snapshot: stop, restore, start, health-check (asks first)")
    .option('--server <server>', 'server of the app')
    .option('--from-target <target>', 'the target holding the snapshot (default: where it was recorded, else local)')
    .option('--force', 'do not ask for confirmation')
    .option('-y, --yes', 'same as --force: answer yes to the confirmation')
    .option('--json', 'print the job record as JSON')
    .action(async (name: string, snapshot: string, o) => {
      await withCtx(async (ctx) => {
        const plan = await prepareAppRestore(ctx, name, snapshot, { server: o.server, target: o.fromTarget });
        if (!o.force && !o.yes)
          await confirm(
            `Stop ${name} and replace its volumes with snapshot ${snapshot}?`,
            'pass -y/--yes (or --force) to restore without confirmation',
          );
        const r = await runPlanCli(ctx, plan, o.json);
        if (!o.json)
          process.stdout.write(
            `  restored ${r.volumes.join(', ')} from ${r.snapshot.slice(0, 8)} (${where(r.target)}); ${name} is running and healthy (${r.ms} ms)\n`,
          );
      });
    });
}
