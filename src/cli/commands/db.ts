import { existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type Command, Option } from 'commander';
import { InfraktError } from '../../core/errors.js';
import { parseRetention } from '../../core/schemas/backup-target.js';
import {
  listDbSnapshots,
  prepareOffsiteBackup,
  prepareRestoreFromTarget,
} from '../../services/backup-targets/db-offsite.js';
import { type OffsiteStatus, offsiteStatuses } from '../../services/backup-targets/status.js';
import { downloadBackup, listBackups, prepareBackup, prepareRestore } from '../../services/backups.js';
import { prepareSchedule, scheduledStatuses } from '../../services/backups-schedule.js';
import { getDatabase, listDatabases, prepareDestroyDatabase } from '../../services/databases.js';
import { prepareCreateDatabase } from '../../services/databases-create.js';
import { withCtx } from '../context.js';
import { c, dash, printJson, printTable, status, success } from '../output.js';
import { runJob } from '../progress.js';
import { confirm, confirmByName } from '../prompt.js';
import { runPlanCli } from './app-deploy.js';
import { intOption } from './options.js';

const bytes = (n: number | null) =>
  n === null
    ? '-'
    : n < 1024
      ? `${n} B`
      : n < 1048576
        ? `${(n / 1024).toFixed(1)} KiB`
        : `${(n / 1048576).toFixed(1)} MiB`;

function offsiteCell(s: OffsiteStatus | undefined): string {
  if (!s) return '-';
  return `${status(s.status)} ${s.target ?? ''}${s.at ? ` ${s.at}` : ''}${s.status === 'failed' && s.message ? ` (${s.message})` : ''}`;
}

export function registerDbCommands(db: Command): void {
  db.command('create')
    .description(
      'create and start a database (127.0.0.1 only, named volume, health check); prints its connection string once',
    )
    .requiredOption('--server <server>', 'target server name')
    .requiredOption('--name <name>', 'database name (unique per server, shared with apps)')
    .requiredOption('--type <type>', 'postgres, mysql, mariadb, redis or mongo')
    .option('--version <version>', 'image tag (default: postgres 16, mysql 8, mariadb 10.11, redis 7-alpine, mongo 7)')
    .option('--save-to-env <app>', "store the connection string in this app's encrypted env instead of printing it")
    .option('--env-key <key>', 'variable name for --save-to-env (default DATABASE_URL / REDIS_URL / MONGODB_URI)')
    .option('--json', 'print the database (and the connection string, once) as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const plan = await prepareCreateDatabase(ctx, {
          server: o.server,
          name: o.name,
          type: o.type,
          version: o.version,
          saveToEnv: o.saveToEnv,
          envKey: o.envKey,
        });
        // --json: no progress; the one JSON document carries the connection string (shown once).
        const r = o.json
          ? (await ctx.jobs.run(plan.spec, plan.body)).result
          : (await runJob(ctx, plan.spec, plan.body)).result;
        const d = r.database;
        if (o.json)
          return printJson({
            ...d,
            ...(r.connectionString
              ? {
                  connectionString: r.connectionString.reveal(),
                  networkConnectionString: r.networkConnectionString?.reveal(),
                }
              : { savedToEnv: r.savedToEnv }),
          });
        success(`${d.type} ${d.version} ${c.bold(d.name)} on ${d.server}: 127.0.0.1:${d.port} (server-local only)`);
        if (r.savedToEnv) {
          process.stdout.write(
            `  connection string saved (encrypted) as ${r.savedToEnv.key} of app ${r.savedToEnv.app}; apply with: infrakt env push ${r.savedToEnv.app}\n`,
          );
          return;
        }
        process.stdout.write(`  connection string — shown once, infrakt does not keep the password:\n`);
        process.stdout.write(`    on the server:          ${r.connectionString!.reveal()}\n`);
        process.stdout.write(`    on the infrakt network: ${r.networkConnectionString!.reveal()}\n`);
      });
    });

  db.command('list')
    .description('list databases (with the last scheduled backup result)')
    .option('--server <server>', 'only databases on this server')
    .option('--json', 'print as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const dbs = await listDatabases(ctx, { server: o.server });
        const [st, off] = await Promise.all([scheduledStatuses(ctx, dbs), offsiteStatuses(ctx, dbs)]);
        if (o.json)
          return printJson(
            dbs.map((d) => ({
              ...d,
              lastScheduledBackup: st.get(d.id) ?? null,
              lastOffsiteBackup: off.get(d.id) ?? null,
            })),
          );
        printTable(
          ['NAME', 'SERVER', 'TYPE', 'VERSION', 'STATUS', 'PORT', 'SCHEDULE', 'LAST SCHEDULED BACKUP', 'LAST OFF-SITE'],
          dbs.map((d) => {
            const s = st.get(d.id);
            return [
              d.name,
              d.server,
              d.type,
              d.version,
              status(d.status),
              d.port ? `127.0.0.1:${d.port}` : '-',
              d.schedule ? `${d.schedule.cron} keep ${d.schedule.keep}` : '-',
              s ? `${status(s.status)}${s.at ? ` ${s.at}` : ''}${s.message ? ` (${s.message})` : ''}` : '-',
              offsiteCell(off.get(d.id)),
            ];
          }),
          'no databases yet — create one with: infrakt db create --server <server> --name <name> --type postgres',
        );
      });
    });

  db.command('show <name>')
    .description('show one database')
    .option('--server <server>', 'server of the database')
    .option('--json', 'print as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const d = await getDatabase(ctx, name, o.server);
        if (o.json) return printJson(d);
        const rows: [string, string][] = [
          ['name', d.name],
          ['server', d.server],
          ['type', `${d.type} ${d.version} (${d.image})`],
          ['status', status(d.status)],
          ['port', d.port ? `127.0.0.1:${d.port} on the server` : '-'],
          ['network', `${d.networkHost}:${d.networkPort} on the infrakt network`],
          [
            'schedule',
            d.schedule
              ? `${d.schedule.cron} (${d.schedule.mechanism}, keep ${d.schedule.keep}${d.schedule.target ? `, off-site to ${d.schedule.target}` : ''})`
              : '-',
          ],
          ['created', d.createdAt],
        ];
        for (const [k, v] of rows) process.stdout.write(`${c.dim(k.padEnd(9))}${v}\n`);
      });
    });

  db.command('destroy <name>')
    .description('stop the database and delete its containers, data volume, schedule and app dir (backups are kept)')
    .option('--server <server>', 'server of the database')
    .option('--force', 'do not ask for the name to be typed')
    .option('--json', 'print the job record as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const plan = await prepareDestroyDatabase(ctx, name, { server: o.server });
        if (!o.force)
          await confirmByName(
            `This deletes database '${name}' and all its data`,
            name,
            `pass --force to destroy '${name}' without confirmation`,
          );
        const r = await runPlanCli(ctx, plan, o.json);
        if (!o.json) process.stdout.write(`  backups kept in ${r.backupsKept} on the server\n`);
      });
    });

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
