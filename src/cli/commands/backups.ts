import { type Command, Option } from 'commander';
import { InfraktError } from '../../core/errors.js';
import { parseRetention } from '../../core/schemas/backup-target.js';
import {
  listDbSnapshots,
  prepareOffsiteBackup,
  prepareRestoreFromTarget,
} from '../../services/backup-targets/db-offsite.js';
import { downloadBackup, listBackups, prepareBackup, prepareRestore } from '../../services/databases/backups.js';
import { prepareSchedule } from '../../services/databases/backups-schedule.js';
import { withCtx } from '../context.js';
import { fileSink, progressBar } from '../download-file.js';
import { intOption } from '../options.js';
import { c, dash, printJson, printTable, status, success } from '../output.js';
import { runPlanCli } from '../progress.js';
import { confirm } from '../prompt.js';

const bytes = (n: number | null) =>
  n === null
    ? '-'
    : n < 1024
      ? `${n} B`
      : n < 1048576
        ? `${(n / 1024).toFixed(1)} KiB`
        : `${(n / 1048576).toFixed(1)} MiB`;

/** `db backup|backups|restore`: verified dumps, schedules and restores (services/databases/backups*). */
export function registerBackupCommands(db: Command): void {
  db.command('backup <name>')
    .description('take a verified backup now; or --schedule / --unschedule one; or --download one to this machine')
    .option('--server <server>', 'server of the database')
    .option('--keep <n>', 'backups to keep (prunes older ones; with --schedule default 7)', intOption)
    .option('--schedule <cron>', 'run on the server on this 5-field cron schedule (systemd timer, or cron)')
    .option('--unschedule', 'remove the backup schedule')
    .option('--download [path]', 'copy a backup here (--backup <file>, default the newest) to path or the current dir')
    .option('--backup <file>', 'which backup --download copies')
    .option('--target <target>', 'also push the verified backup to this off-site target (restic)')
    .option('--keep-daily <n>', 'off-site retention: daily snapshots to keep', intOption)
    .option('--keep-weekly <n>', 'off-site retention: weekly snapshots to keep', intOption)
    .option('--keep-monthly <n>', 'off-site retention: monthly snapshots to keep', intOption)
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const retention = parseRetention({ daily: o.keepDaily, weekly: o.keepWeekly, monthly: o.keepMonthly });
        if (retention && !o.target)
          throw new InfraktError('VALIDATION', '--keep-daily/--keep-weekly/--keep-monthly go with --target');
        const modes = [o.schedule !== undefined, Boolean(o.unschedule), o.download !== undefined].filter(
          Boolean,
        ).length;
        if (modes > 1) throw new InfraktError('VALIDATION', 'choose one of --schedule, --unschedule and --download');
        if (o.download !== undefined) {
          const dest = typeof o.download === 'string' ? o.download : '.';
          const bar = progressBar(`downloading`, o.json ? null : process.stderr);
          const r = await downloadBackup(ctx, name, o.backup, {
            server: o.server,
            open: fileSink(dest),
            progress: bar.update,
          }).finally(() => bar.done());
          if (o.json) return printJson(r);
          return success(`downloaded ${r.backup} (${bytes(r.size)}, sha256 checked) to ${r.path}`);
        }
        if (o.schedule !== undefined || o.unschedule) {
          const plan = await prepareSchedule(ctx, name, {
            server: o.server,
            cron: o.unschedule ? null : o.schedule,
            keep: o.keep,
            ...(o.target ? { offsite: { target: o.target, retention } } : {}),
          });
          const r = await runPlanCli(ctx, plan, o.json);
          if (o.json) return;
          if (r.schedule) {
            process.stdout.write(
              `  ${r.schedule.cron} → ${r.schedule.mechanism === 'systemd' ? `OnCalendar=${r.schedule.onCalendar}` : 'cron'}, keeping ${r.schedule.keep}\n`,
            );
            if (r.schedule.target)
              process.stdout.write(
                `  each run also pushes to target ${r.schedule.target}; its credentials are kept on the server for the schedule (0600, root only) until --unschedule\n`,
              );
          } else process.stdout.write('  schedule removed (existing backups are kept)\n');
          return;
        }
        if (o.target) {
          const plan = await prepareOffsiteBackup(ctx, name, {
            server: o.server,
            keep: o.keep,
            target: o.target,
            retention,
          });
          const r = await runPlanCli(ctx, plan, o.json);
          if (!o.json)
            process.stdout.write(
              `  ${r.file}: ${bytes(r.size)}, verified; pushed to ${o.target} as snapshot ${r.offsite.snapshotId} (${bytes(r.offsite.dataAdded)} new)${r.offsite.forgotten.length ? `; retention removed ${r.offsite.forgotten.length}` : ''}\n`,
            );
          return;
        }
        const r = await runPlanCli(ctx, await prepareBackup(ctx, name, { server: o.server, keep: o.keep }), o.json);
        if (!o.json)
          process.stdout.write(
            `  ${r.file}: ${bytes(r.size)}, verified, sha256 ${r.sha256.slice(0, 16)}… in ${r.ms} ms${r.pruned.length ? `; pruned ${r.pruned.length}` : ''}\n`,
          );
      });
    });

  db.command('backups <name>')
    .description(
      'list the backups of a database (and the last manual and scheduled results); --target: its snapshots there',
    )
    .option('--server <server>', 'server of the database')
    .option('--target <target>', 'list the snapshots of this database on an off-site target instead')
    .option('--json', 'print as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        if (o.target) {
          const s = await listDbSnapshots(ctx, name, { server: o.server, target: o.target });
          if (o.json) return printJson(s);
          return printTable(
            ['SNAPSHOT', 'TIME', 'HOST', 'BACKUP'],
            s.snapshots.map((x) => [x.shortId, x.time, x.host, dash(x.file)]),
            `no snapshots of ${s.database} on ${s.target} yet — push one with: infrakt db backup ${s.database} --target ${s.target}`,
          );
        }
        const r = await listBackups(ctx, name, { server: o.server });
        if (o.json) return printJson(r);
        printTable(
          ['BACKUP', 'SIZE', 'CREATED', 'TRIGGER', 'VERIFIED'],
          r.backups.map((b) => [
            b.name,
            bytes(b.size),
            dash(b.createdAt),
            dash(b.trigger),
            b.verified ? 'yes' : c.red('no'),
          ]),
          `no backups of ${r.database} yet — take one with: infrakt db backup ${r.database}`,
        );
        const line = (label: string, s: typeof r.lastManual) =>
          s &&
          process.stdout.write(
            `last ${label}: ${status(s.status)} at ${s.finishedAt}${s.message ? ` — ${s.message}` : ''}\n`,
          );
        line('manual backup', r.lastManual);
        line('scheduled backup', r.lastScheduled);
        if (r.schedule)
          process.stdout.write(`schedule: ${r.schedule.cron} (${r.schedule.mechanism}, keep ${r.schedule.keep})\n`);
      });
    });

  db.command('restore <name> [backup]')
    .description('verify a backup, then restore it into the running database (replaces its data); or --from-target')
    .option('--server <server>', 'server of the database')
    .option(
      '--from-target <target>',
      'fetch the backup from this off-site target (newest of this database unless --snapshot)',
    )
    .option('--snapshot <id>', 'with --from-target: the snapshot to restore (see db backups --target)')
    .option('--force', 'do not ask for confirmation')
    .option('-y, --yes', 'same as --force: answer yes to the confirmation')
    .option('--json', 'print the job record as JSON')
    .action(async (name: string, backup: string | undefined, o) => {
      await withCtx(async (ctx) => {
        if (o.fromTarget) {
          if (backup !== undefined)
            throw new InfraktError('VALIDATION', 'give a backup file or --from-target (with --snapshot), not both');
          const plan = await prepareRestoreFromTarget(ctx, name, {
            server: o.server,
            target: o.fromTarget,
            snapshot: o.snapshot,
          });
          if (!o.force)
            await confirm(
              `Restore ${o.snapshot ? `snapshot ${o.snapshot}` : 'the newest snapshot'} from ${o.fromTarget} into ${name}, replacing its current data?`,
              'pass --force to restore without confirmation',
            );
          const r = await runPlanCli(ctx, plan, o.json);
          if (!o.json)
            process.stdout.write(
              `  restored ${r.backup} (snapshot ${r.snapshot.slice(0, 8)} of ${r.target}) into ${r.database} in ${r.ms} ms\n`,
            );
          return;
        }
        if (o.snapshot) throw new InfraktError('VALIDATION', '--snapshot goes with --from-target');
        if (backup === undefined)
          throw new InfraktError(
            'VALIDATION',
            'which backup? give its file name (infrakt db backups <name>) or --from-target',
          );
        const plan = await prepareRestore(ctx, name, backup, { server: o.server });
        if (!o.force && !o.yes)
          await confirm(
            `Restore ${backup} into ${name}, replacing its current data?`,
            'pass -y/--yes (or --force) to restore without confirmation',
          );
        const r = await runPlanCli(ctx, plan, o.json);
        if (!o.json) process.stdout.write(`  restored ${r.backup} into ${r.database} in ${r.ms} ms\n`);
      });
    });

  // Program options are not parsed after `db` (see main.ts): accept --debug here (main reads it from argv).
  for (const cmd of db.commands) cmd.addOption(new Option('--debug', 'print stack traces for errors').hideHelp());
}
