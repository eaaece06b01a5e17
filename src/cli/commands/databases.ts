import type { Command } from 'commander';
import { type OffsiteStatus, offsiteStatuses } from '../../services/backup-targets/status.js';
import { scheduledStatuses } from '../../services/databases/backups-schedule.js';
import { prepareCreateDatabase } from '../../services/databases/create.js';
import { getDatabase, listDatabases, prepareDestroyDatabase } from '../../services/databases/databases.js';
import { withCtx } from '../context.js';
import { c, printJson, printTable, status, success } from '../output.js';
import { runJob, runPlanCli } from '../progress.js';
import { confirmByName } from '../prompt.js';

function offsiteCell(s: OffsiteStatus | undefined): string {
  if (!s) return '-';
  return `${status(s.status)} ${s.target ?? ''}${s.at ? ` ${s.at}` : ''}${s.status === 'failed' && s.message ? ` (${s.message})` : ''}`;
}

/** `db create|list|show|destroy` (services/databases). */
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
    .option('--store-as-secret <name>', 'store the connection string as this named secret instead of printing it')
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
          storeAsSecret: o.storeAsSecret,
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
              : r.storedAsSecret
                ? { storedAsSecret: r.storedAsSecret }
                : { savedToEnv: r.savedToEnv }),
          });
        success(`${d.type} ${d.version} ${c.bold(d.name)} on ${d.server}: 127.0.0.1:${d.port} (server-local only)`);
        if (r.storedAsSecret) {
          process.stdout.write(
            `  connection string stored (encrypted) as secret ${r.storedAsSecret}; use it as secret:${r.storedAsSecret} in env or infrakt.yaml\n`,
          );
          return;
        }
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
    .description('list databases (with the last scheduled and the last off-site backup result)')
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
    .option('-y, --yes', 'same as --force: answer yes to the confirmation')
    .option('--json', 'print the job record as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const plan = await prepareDestroyDatabase(ctx, name, { server: o.server });
        if (!o.force && !o.yes)
          await confirmByName(
            `This deletes database '${name}' and all its data`,
            name,
            `pass -y/--yes (or --force) to destroy '${name}' without confirmation`,
          );
        const r = await runPlanCli(ctx, plan, o.json);
        if (!o.json) process.stdout.write(`  backups kept in ${r.backupsKept} on the server\n`);
      });
    });
}
