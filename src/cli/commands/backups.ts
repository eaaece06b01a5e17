import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type Command, Option } from 'commander';
import { InfraktError } from '../../core/errors.js';
import { downloadBackup, listBackups, prepareBackup, prepareRestore } from '../../services/databases/backups.js';
import { prepareSchedule } from '../../services/databases/backups-schedule.js';
import { withCtx } from '../context.js';
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
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const modes = [o.schedule !== undefined, Boolean(o.unschedule), o.download !== undefined].filter(
          Boolean,
        ).length;
        if (modes > 1) throw new InfraktError('VALIDATION', 'choose one of --schedule, --unschedule and --download');
        if (o.download !== undefined) {
          const dest = typeof o.download === 'string' ? o.download : '.';
          const r = await downloadBackup(ctx, name, o.backup, {
            server: o.server,
            write: async (file, data) => {
              const path = existsSync(dest) && statSync(dest).isDirectory() ? join(dest, basename(file)) : dest;
              await writeFile(path, data, { mode: 0o600 });
              return path;
            },
          });
          if (o.json) return printJson(r);
          return success(`downloaded ${r.backup} (${bytes(r.size)}, sha256 checked) to ${r.path}`);
        }
        if (o.schedule !== undefined || o.unschedule) {
          const plan = await prepareSchedule(ctx, name, {
            server: o.server,
            cron: o.unschedule ? null : o.schedule,
            keep: o.keep,
          });
          const r = await runPlanCli(ctx, plan, o.json);
          if (o.json) return;
          if (r.schedule)
            process.stdout.write(
              `  ${r.schedule.cron} → ${r.schedule.mechanism === 'systemd' ? `OnCalendar=${r.schedule.onCalendar}` : 'cron'}, keeping ${r.schedule.keep}\n`,
            );
          else process.stdout.write('  schedule removed (existing backups are kept)\n');
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
    .description('list the backups of a database (and the last manual and scheduled results)')
    .option('--server <server>', 'server of the database')
    .option('--json', 'print as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
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

  db.command('restore <name> <backup>')
    .description('verify a backup, then restore it into the running database (replaces its data)')
    .option('--server <server>', 'server of the database')
    .option('--force', 'do not ask for confirmation')
    .option('--json', 'print the job record as JSON')
    .action(async (name: string, backup: string, o) => {
      await withCtx(async (ctx) => {
        const plan = await prepareRestore(ctx, name, backup, { server: o.server });
        if (!o.force)
          await confirm(
            `Restore ${backup} into ${name}, replacing its current data?`,
            'pass --force to restore without confirmation',
          );
        const r = await runPlanCli(ctx, plan, o.json);
        if (!o.json) process.stdout.write(`  restored ${r.backup} into ${r.database} in ${r.ms} ms\n`);
      });
    });

  // Program options are not parsed after `db` (see main.ts): accept --debug here (main reads it from argv).
  for (const cmd of db.commands) cmd.addOption(new Option('--debug', 'print stack traces for errors').hideHelp());
}
