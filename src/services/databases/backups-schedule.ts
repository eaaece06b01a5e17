import { createHash } from 'node:crypto';
import type { ServerRow } from '../../adapters/store/schema.js';
import { and, type Cmd, exec, quietErr, toFile } from '../../core/cmd/index.js';
import { parseLastScheduledRuns, readLastScheduledRuns, type ScheduledStatus } from '../../core/commands/db-backup.js';
import { detectScheduler, parseScheduler, type Scheduler } from '../../core/commands/scheduler.js';
import { asRoot } from '../../core/commands/sudo.js';
import * as systemd from '../../core/commands/systemd.js';
import { InfraktError, toInfraktError } from '../../core/errors.js';
import { type Executor, runChecked } from '../../core/executor.js';
import {
  renderCronFile,
  renderServiceUnit,
  renderTimerUnit,
  scheduleUnit,
} from '../../core/plans/db-backup-schedule.js';
import { dbLayout } from '../../core/plans/db-compose.js';
import { parseCron } from '../../core/plans/db-cron.js';
import type { Retention } from '../../core/schemas/backup-target.js';
import type { DatabaseView, DbSchedule } from '../../core/schemas/views/databases.js';
import { installOffsite, removeOffsite } from '../backup-targets/schedule-offsite.js';
import { resolveTarget } from '../backup-targets/targets.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { appJobSpec } from '../shared/job-spec.js';
import { withServer } from '../shared/server-session.js';
import { writeBackupScript } from './backups.js';
import type { DbSettings } from './model.js';
import { resolveDatabase } from './model.js';

const SYSTEMD_DIR = '/etc/systemd/system';
const CRON_DIR = '/etc/cron.d';

export const rootHash = (root: string): string => createHash('sha256').update(root).digest('hex');

async function findScheduler(ex: Executor): Promise<Scheduler> {
  const r = await runChecked(ex, detectScheduler(), { what: 'detect scheduler' });
  const m = parseScheduler(r.stdout);
  if (m) return m;
  throw new InfraktError('UNSUPPORTED', `${ex.target} has neither systemd (as PID 1) nor a cron daemon`, {
    hint: 'install cron on the server (apt-get install cron), or run backups from elsewhere: infrakt db backup <name>',
  });
}

/** Removes a database's timer + service (systemd) or its /etc/cron.d file. */
export async function removeSchedule(
  ex: Executor,
  server: ServerRow,
  name: string,
  s: DbSchedule,
  o: { keepOffsite?: boolean } = {},
): Promise<void> {
  const u = (cmd: Cmd) => asRoot(cmd, server.user);
  // The off-site credentials go with the schedule (unless a new schedule just installed them).
  if (s.target && !o.keepOffsite) await removeOffsite(ex, server.root_dir, name);
  if (s.mechanism === 'systemd') {
    await ex.run(quietErr(u(exec('systemctl', 'disable', '--now', `${s.unit}.timer`))));
    await runChecked(
      ex,
      u(exec('rm', '-f', '--', `${SYSTEMD_DIR}/${s.unit}.timer`, `${SYSTEMD_DIR}/${s.unit}.service`)),
      { what: 'remove units' },
    );
    await ex.run(u(systemd.daemonReload()));
  } else {
    await runChecked(ex, u(exec('rm', '-f', '--', `${CRON_DIR}/${s.unit}`)), { what: 'remove cron file' });
  }
}

export interface ScheduleResult {
  database: string;
  schedule: DbSchedule | null;
}

/**
 * `db backup <name> --schedule "<cron>" --keep N`: writes the backup script and a systemd timer + service
 * (OnCalendar from the cron expression, Persistent so a missed run happens after a reboot), or an /etc/cron.d
 * entry where systemd is not PID 1. `cron: null` removes the schedule (`--unschedule`).
 */
export async function prepareSchedule(
  ctx: Ctx,
  name: string,
  opts: {
    server?: string;
    cron: string | null;
    keep?: number;
    offsite?: { target: string; retention: Retention | null };
  },
): Promise<JobPlan<ScheduleResult>> {
  const { app, server, settings } = await resolveDatabase(ctx, name, opts.server);
  const offsite = opts.offsite
    ? { ...opts.offsite, target: (await resolveTarget(ctx, opts.offsite.target)).name }
    : null;
  if (offsite && opts.cron === null)
    throw new InfraktError('VALIDATION', '--target goes with --schedule, not --unschedule');
  const parsed = opts.cron === null ? null : parseCron(opts.cron);
  const keep = opts.keep ?? 7;
  if (parsed && (!Number.isInteger(keep) || keep < 1 || keep > 10_000))
    throw new InfraktError('VALIDATION', '--keep must be a whole number of at least 1', { hint: 'e.g. --keep 7' });
  if (!parsed && !settings.schedule) throw new InfraktError('STATE', `database '${app.name}' has no backup schedule`);
  const unit = scheduleUnit(app.name, rootHash(server.root_dir));
  const input = { name: app.name, type: settings.type, root: server.root_dir };
  return {
    spec: appJobSpec(app, server, parsed ? 'db.schedule' : 'db.unschedule', {
      params: { database: app.name, cron: parsed?.cron ?? null, keep, ...(offsite ? { target: offsite.target } : {}) },
      steps: ['connect', 'backup script', ...(offsite ? ['off-site target'] : []), 'scheduler', 'install'],
    }),
    body: (job) =>
      withServer(ctx, job, server, { lock: null }, async ({ ex }) => {
        const u = (cmd: Cmd) => asRoot(cmd, server.user);
        let schedule: DbSchedule | null = null;
        if (parsed) {
          await job.step('backup script', async (s) => {
            s.detail(await writeBackupScript(ex, server.root_dir, app.name, settings));
          });
          let offsiteScript: string | undefined;
          if (offsite)
            offsiteScript = await job.step('off-site target', async (s) => {
              const script = await installOffsite(ctx, job, ex, server, app.name, offsite);
              s.detail(`${offsite.target}: credentials in 0600 files beside ${script}`);
              return script;
            });
          else if (settings.schedule?.target) await removeOffsite(ex, server.root_dir, app.name);
          const mechanism = await job.step('scheduler', async (s) => {
            const m = await findScheduler(ex);
            s.detail(
              m === 'systemd'
                ? `systemd timer ${unit}.timer (OnCalendar=${parsed.onCalendar})`
                : `cron (${CRON_DIR}/${unit})`,
            );
            return m;
          });
          schedule = {
            cron: parsed.cron,
            onCalendar: parsed.onCalendar,
            keep,
            mechanism,
            unit,
            target: offsite?.target ?? null,
            retention: offsite?.retention ?? null,
          };
          const sched = schedule;
          await job.step('install', async (s) => {
            if (settings.schedule && settings.schedule.mechanism !== mechanism)
              await removeSchedule(ex, server, app.name, settings.schedule, { keepOffsite: true });
            if (mechanism === 'systemd') {
              const check = await ex.run(toFile(exec('systemd-analyze', 'calendar', parsed.onCalendar), '/dev/null'));
              if (check.exitCode !== 0)
                throw new InfraktError(
                  'VALIDATION',
                  `systemd on ${server.name} rejects OnCalendar=${parsed.onCalendar}`,
                );
              await ex.put(`${SYSTEMD_DIR}/${unit}.service`, renderServiceUnit(input, keep, offsiteScript), {
                mode: 0o644,
                sudo: true,
              });
              await ex.put(`${SYSTEMD_DIR}/${unit}.timer`, renderTimerUnit(app.name, parsed.onCalendar), {
                mode: 0o644,
                sudo: true,
              });
              await runChecked(
                ex,
                u(
                  and(
                    systemd.daemonReload(),
                    exec('systemctl', 'enable', `${unit}.timer`),
                    exec('systemctl', 'restart', `${unit}.timer`),
                  ),
                ),
                {
                  what: 'enable timer',
                },
              );
            } else {
              await ex.put(`${CRON_DIR}/${unit}`, renderCronFile(input, parsed.cron, keep, offsiteScript), {
                mode: 0o644,
                sudo: true,
              });
            }
            s.detail(`${sched.cron} (keep ${keep}${sched.target ? `, off-site to ${sched.target}` : ''})`);
          });
        } else {
          await job.step('install', async (s) => {
            await removeSchedule(ex, server, app.name, settings.schedule!);
            s.detail(`removed ${settings.schedule!.unit}`);
          });
        }
        const next: DbSettings = { ...settings, schedule };
        await ctx.store.db
          .updateTable('apps')
          .set({ settings_json: JSON.stringify({ db: next }), updated_at: nowIso(ctx) })
          .where('id', '=', app.id)
          .execute();
        await audit(ctx, parsed ? 'db.schedule' : 'db.unschedule', `${server.name}/${app.name}`, {
          cron: parsed?.cron ?? null,
          keep,
        });
        return { database: app.name, schedule };
      }),
  };
}

/**
 * The last scheduled run of each scheduled database (one connection per server, in parallel; an unreachable
 * server gives `unknown`). For `db list` and `server status`.
 */
export async function scheduledStatuses(ctx: Ctx, dbs: readonly DatabaseView[]): Promise<Map<number, ScheduledStatus>> {
  const out = new Map<number, ScheduledStatus>();
  const byServer = new Map<string, DatabaseView[]>();
  for (const d of dbs) if (d.schedule) byServer.set(d.server, [...(byServer.get(d.server) ?? []), d]);
  await Promise.all(
    [...byServer].map(async ([serverName, list]) => {
      const server = await ctx.store.db
        .selectFrom('servers')
        .selectAll()
        .where('name', '=', serverName)
        .executeTakeFirstOrThrow();
      const dirs = list.map((d) => dbLayout(server.root_dir, d.name).backupsDir);
      let last: unknown = null;
      // `out` is shared by every server: this server is done when each of its own databases has a status.
      const done = () => list.every((d) => out.has(d.id));
      // One round trip per server; a second attempt rides out a dropped connection.
      for (let attempt = 0; attempt < 2 && !done(); attempt++) {
        let ex: Executor | null = null;
        try {
          ex = await ctx.connect(server);
          const r = await runChecked(ex, readLastScheduledRuns(dirs), { what: 'read backup status' });
          const statuses = parseLastScheduledRuns(r.stdout, list.length);
          for (const [i, d] of list.entries()) out.set(d.id, statuses[i]!);
        } catch (e) {
          last = e;
        } finally {
          if (ex) await ex.close().catch(() => undefined);
        }
      }
      if (!done()) {
        const why = toInfraktError(last).message;
        for (const d of list) if (!out.has(d.id)) out.set(d.id, { status: 'unknown', at: null, message: why });
      }
    }),
  );
  return out;
}
