import { createHash } from 'node:crypto';
import type { AppRow, CronTaskRow, ServerRow } from '../../adapters/store/schema.js';
import * as fs from '../../core/commands/fs.js';
import { InfraktError, notFound, validation } from '../../core/errors.js';
import { type Executor, runChecked } from '../../core/executor.js';
import {
  renderTaskCronFile,
  renderTaskScript,
  renderTaskServiceUnit,
  renderTaskTimerUnit,
  runTaskNow,
  type TaskScriptInput,
  taskScriptPath,
  taskUnit,
} from '../../core/plans/cron-task.js';
import { parseCron } from '../../core/plans/db-cron.js';
import { appLayout, currentMarker } from '../../core/plans/layout.js';
import { nameSchema } from '../../core/schemas/common.js';
import { parseInput } from '../../core/schemas/parse.js';
import type { CronTaskView } from '../../core/schemas/views/cron.js';
import { resolveApp } from '../apps/apps.js';
import { keptRelease, releaseDetails } from '../apps/releases.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { describeSchedule, findScheduler, installSchedule, removeSchedule } from '../shared/scheduler.js';
import { withServer } from '../shared/server-session.js';

export const DEFAULT_TASK_TIMEOUT_S = 3600;
const SCHEDULER_HINT = 'install cron on the server (apt-get install cron), or run the task by hand: infrakt cron run';
const SERVICE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9._-]{0,62}$/;

export interface CronAddInput {
  readonly app: string;
  readonly server?: string;
  readonly name: string;
  readonly schedule: string;
  readonly command: readonly string[];
  readonly service?: string;
  readonly timeoutSeconds?: number;
}

const hashOf = (...parts: string[]) => createHash('sha256').update(parts.join('\0')).digest('hex');

export function toCronView(row: CronTaskRow, app: string, server: string): CronTaskView {
  return {
    id: row.id,
    name: row.name,
    app,
    server,
    schedule: row.schedule,
    onCalendar: row.on_calendar,
    command: JSON.parse(row.command_json) as string[],
    service: row.service,
    timeoutSeconds: row.timeout_s,
    mechanism: row.mechanism,
    unit: row.unit,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    last: null,
  };
}

function checkCommand(command: readonly string[]): string[] {
  if (command.length === 0 || command[0] === '') {
    throw validation(
      'no command given',
      'put the command after --, e.g. infrakt cron add web --name n --schedule "*/5 * * * *" -- ./bin/job',
    );
  }
  if (command.some((a) => /[\0\r\n]/.test(a))) throw validation('a command argument contains a line break or NUL byte');
  if (command.reduce((n, a) => n + a.length + 1, 0) > 16 * 1024) throw validation('the command is longer than 16 KiB');
  return [...command];
}

/** Everything a task needs that can be checked locally, before any job runs. */
async function checkAdd(ctx: Ctx, input: CronAddInput) {
  const name = parseInput(nameSchema, input.name, 'task name');
  const schedule = parseCron(input.schedule);
  const command = checkCommand(input.command);
  const timeout = input.timeoutSeconds ?? DEFAULT_TASK_TIMEOUT_S;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 7 * 86400) {
    throw validation('--timeout must be a whole number of seconds between 1 and 604800 (7 days)');
  }
  const service = input.service ?? null;
  if (service !== null && !SERVICE_NAME.test(service)) throw validation(`invalid service name '${service}'`);
  const { app, server } = await resolveApp(ctx, input.app, input.server);
  if (app.app_type.startsWith('db:')) {
    throw new InfraktError('UNSUPPORTED', `'${app.name}' is a database`, {
      hint: 'database backups are scheduled with: infrakt db backup <name> --schedule',
    });
  }
  if (service !== null && app.app_type === 'image') {
    throw validation(`'${app.name}' is an image app: it has one service`, 'drop --service');
  }
  if (app.current_release === null) {
    throw new InfraktError('STATE', `'${app.name}' is not deployed: a task runs in its current release`, {
      hint: `deploy it first: infrakt app deploy ${app.name}`,
    });
  }
  const clash = await ctx.store.db
    .selectFrom('cron_tasks')
    .select('id')
    .where('app_id', '=', app.id)
    .where('name', '=', name)
    .executeTakeFirst();
  if (clash) {
    throw new InfraktError('CONFLICT', `app '${app.name}' already has a task named '${name}'`, {
      hint: `remove it first (infrakt cron remove ${name} --app ${app.name}) or choose another name`,
    });
  }
  const details = releaseDetails(await keptRelease(ctx, app, app.current_release));
  return { name, schedule, command, timeout, service, app, server, routed: details.service || 'app' };
}

export interface CronAddResult {
  task: CronTaskView;
}

/**
 * `cron add`: the runner script in the app directory and a systemd timer (cron where systemd is not PID 1) on
 * the server, then the record. A failure on the server removes what was written; nothing is recorded.
 */
export async function prepareCronAdd(ctx: Ctx, input: CronAddInput): Promise<JobPlan<CronAddResult>> {
  const c = await checkAdd(ctx, input);
  const { app, server } = c;
  const unit = taskUnit(app.name, c.name, hashOf(server.root_dir, app.name, c.name));
  const script: TaskScriptInput = {
    app: app.name,
    root: server.root_dir,
    task: c.name,
    command: c.command,
    service: c.service,
    timeoutSeconds: c.timeout,
  };
  const l = appLayout(server.root_dir, app.name);
  return {
    spec: {
      kind: 'cron.add',
      target: `${server.name}/${app.name}`,
      serverId: server.id,
      appId: app.id,
      params: { app: app.name, task: c.name, schedule: c.schedule.cron },
      plannedSteps: ['connect', 'runner script', 'scheduler', 'install'],
    },
    body: (job) =>
      withServer(ctx, job, server, { lock: null }, async ({ ex }) => {
        await job.step('runner script', async (s) => {
          await runChecked(ex, fs.mkdirp(l.taskDir(c.name), 0o700), { what: 'create task directory' });
          await ex.put(taskScriptPath(script), renderTaskScript(script), { mode: 0o700 });
          // Deploys write the marker; an app deployed before tasks existed gets it from the record here.
          await ex.put(l.currentFile, currentMarker(app.current_release!, c.routed), { mode: 0o644 });
          s.detail(taskScriptPath(script));
        });
        const mechanism = await job.step('scheduler', async (s) => {
          const m = await findScheduler(ex, SCHEDULER_HINT);
          s.detail(describeSchedule(m, unit, c.schedule.onCalendar));
          return m;
        });
        await job.step('install', async (s) => {
          try {
            await installSchedule(ex, server, mechanism, unit, {
              service: renderTaskServiceUnit(script),
              timer: renderTaskTimerUnit(script, c.schedule.onCalendar),
              onCalendar: c.schedule.onCalendar,
              cronFile: renderTaskCronFile(script, c.schedule.cron),
            });
          } catch (e) {
            await removeFromServer(ex, server, app, c.name, mechanism, unit).catch(() => undefined);
            throw e;
          }
          s.detail(c.schedule.cron);
        });
        const now = nowIso(ctx);
        const row = await ctx.store.db
          .insertInto('cron_tasks')
          .values({
            app_id: app.id,
            name: c.name,
            schedule: c.schedule.cron,
            on_calendar: c.schedule.onCalendar,
            command_json: JSON.stringify(c.command),
            service: c.service,
            timeout_s: c.timeout,
            mechanism,
            unit,
            created_at: now,
            updated_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await audit(ctx, 'cron.add', `${server.name}/${app.name}`, { task: c.name, schedule: c.schedule.cron });
        return { task: toCronView(row, app.name, server.name) };
      }),
  };
}

async function removeFromServer(
  ex: Executor,
  server: ServerRow,
  app: Pick<AppRow, 'name'>,
  task: string,
  mechanism: 'systemd' | 'cron',
  unit: string,
): Promise<void> {
  await removeSchedule(ex, server, mechanism, unit);
  await runChecked(ex, fs.rmrf(appLayout(server.root_dir, app.name).taskDir(task)), { what: 'remove task directory' });
}

export interface TaskRef {
  readonly app?: string;
  readonly server?: string;
}

/** A task by name; `app` (and `server`) disambiguate a name several apps use. */
export async function resolveTask(ctx: Ctx, name: string, ref: TaskRef = {}) {
  parseInput(nameSchema, name, 'task name');
  let q = ctx.store.db
    .selectFrom('cron_tasks')
    .innerJoin('apps', 'apps.id', 'cron_tasks.app_id')
    .innerJoin('servers', 'servers.id', 'apps.server_id')
    .selectAll('cron_tasks')
    .select(['apps.name as app_name', 'servers.name as server_name'])
    .where('cron_tasks.name', '=', name);
  if (ref.app) {
    const { app } = await resolveApp(ctx, ref.app, ref.server);
    q = q.where('cron_tasks.app_id', '=', app.id);
  } else if (ref.server) q = q.where('servers.name', '=', ref.server);
  const rows = await q.execute();
  if (rows.length === 0) throw notFound('task', name, 'list tasks with: infrakt cron list');
  if (rows.length > 1) {
    throw new InfraktError(
      'CONFLICT',
      `task name '${name}' is used by several apps: ${rows.map((r) => `${r.server_name}/${r.app_name}`).join(', ')}`,
      { hint: 'pass --app <app> (and --server) to choose one' },
    );
  }
  const { app_name, server_name, ...task } = rows[0]!;
  const { app, server } = await resolveApp(ctx, app_name, server_name);
  return { task: task as CronTaskRow, app, server };
}

/** `cron remove`: the timer (or cron file) and the task directory on the server, then the record. */
export async function prepareCronRemove(
  ctx: Ctx,
  name: string,
  ref: TaskRef = {},
): Promise<JobPlan<{ task: string; app: string }>> {
  const { task, app, server } = await resolveTask(ctx, name, ref);
  return {
    spec: {
      kind: 'cron.remove',
      target: `${server.name}/${app.name}`,
      serverId: server.id,
      appId: app.id,
      params: { app: app.name, task: task.name },
      plannedSteps: ['connect', 'remove'],
    },
    body: (job) =>
      withServer(ctx, job, server, { lock: null }, async ({ ex }) => {
        await job.step('remove', async (s) => {
          await removeFromServer(ex, server, app, task.name, task.mechanism, task.unit);
          s.detail(`${task.unit} removed`);
        });
        await ctx.store.db.deleteFrom('cron_tasks').where('id', '=', task.id).execute();
        await audit(ctx, 'cron.remove', `${server.name}/${app.name}`, { task: task.name });
        return { task: task.name, app: app.name };
      }),
  };
}

/** For `app destroy`: every task of the app off the server (their records go with the app's). */
export async function removeAppTasks(ctx: Ctx, ex: Executor, server: ServerRow, app: AppRow): Promise<string[]> {
  const tasks = await ctx.store.db.selectFrom('cron_tasks').selectAll().where('app_id', '=', app.id).execute();
  for (const t of tasks) await removeSchedule(ex, server, t.mechanism, t.unit);
  return tasks.map((t) => t.name);
}

export interface CronRunResult {
  task: string;
  app: string;
  exitCode: number;
  durationMs: number;
}

/**
 * `cron run`: the task's runner now, exactly as the timer runs it (same script, lock and recorded result), its
 * output in the job log. No app lock: a long task must not hold up deploys (it keeps its release's image).
 */
export async function prepareCronRun(ctx: Ctx, name: string, ref: TaskRef = {}): Promise<JobPlan<CronRunResult>> {
  const { task, app, server } = await resolveTask(ctx, name, ref);
  const script = taskScriptPath({ root: server.root_dir, app: app.name, task: task.name });
  return {
    spec: {
      kind: 'cron.run',
      target: `${server.name}/${app.name}`,
      serverId: server.id,
      appId: app.id,
      params: { app: app.name, task: task.name },
      plannedSteps: ['connect', 'run'],
    },
    body: (job) =>
      withServer(ctx, job, server, { lock: null }, async ({ ex }) =>
        job.step('run', async (s) => {
          // The runner ends the command at the task's timeout; the margin covers its own start and cleanup.
          const r = await ex.stream(runTaskNow(script), (stream, line) => s.log(line, stream), {
            signal: job.signal,
            timeoutMs: (task.timeout_s + 60) * 1000,
          });
          s.exitCode(r.exitCode);
          await audit(ctx, 'cron.run', `${server.name}/${app.name}`, { task: task.name, exitCode: r.exitCode });
          if (r.exitCode !== 0) {
            throw new InfraktError('COMMAND_FAILED', `task ${task.name} exited ${r.exitCode}`, {
              details: { exitCode: r.exitCode },
              hint: `its output is in the job log; the last lines also show in: infrakt cron list --app ${app.name}`,
            });
          }
          s.detail(`exit 0 in ${r.durationMs} ms`);
          return { task: task.name, app: app.name, exitCode: r.exitCode, durationMs: r.durationMs };
        }),
      ),
  };
}
