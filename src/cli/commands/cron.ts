import type { Command } from 'commander';
import type { CronTaskView } from '../../core/schemas/views/cron.js';
import { prepareCronAdd, prepareCronRemove, prepareCronRun } from '../../services/cron/cron.js';
import { listCronTasks } from '../../services/cron/cron-list.js';
import { withCtx } from '../context.js';
import { intOption } from '../options.js';
import { c, printJson, printTable, status, success } from '../output.js';
import { runJob, runPlanCli } from '../progress.js';
import { duration } from '../progress-render.js';

const when = (iso: string | null) => (iso ? iso.replace('T', ' ').replace(/(\.\d+)?Z$/, 'Z') : '-');

function lastRun(t: CronTaskView): string {
  const l = t.last;
  if (!l) return '-';
  if (l.status === 'never') return c.dim('never run');
  if (l.status === 'unknown') return c.yellow(`unknown (${l.message ?? 'server not reachable'})`);
  const code = l.status === 'ok' ? status('ok') : status(`failed (exit ${l.exitCode ?? '?'})`);
  return `${code} ${when(l.finishedAt)}${l.durationMs !== null ? ` in ${duration(l.durationMs)}` : ''}`;
}

/** `cron add|list|run|remove`: scheduled tasks in one-off containers of an app's release (services/cron). */
export function registerCronCommands(cron: Command): void {
  cron
    .command('add <app>')
    .description('run a command on a schedule in a one-off container of the current release (systemd timer)')
    .requiredOption('--name <name>', 'task name (unique per app)')
    .requiredOption('--schedule <cron>', '5-field cron expression, e.g. "*/5 * * * *" or @daily (server time)')
    .option('--service <service>', 'another service of a compose app (default: the one with the app port)')
    .option('--timeout <seconds>', 'end a run after this long (default 3600)', intOption)
    .option('--server <server>', 'server of the app (when the name is used on several)')
    .option('--json', 'print the task as JSON')
    .argument('<command...>', 'the command and its arguments (after --)')
    .action(async (app: string, command: string[], o) => {
      await withCtx(async (ctx) => {
        const plan = await prepareCronAdd(ctx, {
          app,
          server: o.server,
          name: o.name,
          schedule: o.schedule,
          command,
          service: o.service,
          timeoutSeconds: o.timeout,
        });
        const { task } = await runPlanCli(ctx, plan, Boolean(o.json));
        if (o.json) return;
        success(`task ${c.bold(task.name)} of ${task.app}: ${task.schedule} (${task.mechanism}, ${task.unit})`);
        process.stdout.write(`  run it now with: infrakt cron run ${task.name} --app ${task.app}\n`);
      });
    });

  cron
    .command('list')
    .description('scheduled tasks with the result, duration and log tail of their last run')
    .option('--app <app>', 'only tasks of this app')
    .option('--server <server>', 'only tasks on this server (or the server of --app)')
    .option('--no-status', 'do not read the last results from the servers')
    .option('--json', 'print as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const tasks = await listCronTasks(ctx, { app: o.app, server: o.server, live: o.status !== false });
        if (o.json) return printJson(tasks);
        printTable(
          ['NAME', 'APP', 'SERVER', 'SCHEDULE', 'COMMAND', 'LAST RUN'],
          tasks.map((t) => [t.name, t.app, t.server, t.schedule, t.command.join(' '), lastRun(t)]),
          'no scheduled tasks — add one with: infrakt cron add <app> --name <name> --schedule "*/5 * * * *" -- <command>',
        );
        for (const t of tasks) {
          if (!t.last?.logTail.trim()) continue;
          process.stdout.write(`\n${c.dim(`${t.app}/${t.name}, last output:`)}\n`);
          for (const line of t.last.logTail.trimEnd().split('\n')) process.stdout.write(`  ${c.dim('|')} ${line}\n`);
        }
      });
    });

  cron
    .command('run <name>')
    .description('run a task now, as its timer would (same runner, recorded as its last result)')
    .option('--app <app>', 'app of the task (when several apps use the name)')
    .option('--server <server>', 'server of the app')
    .option('--json', 'print the job record as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const plan = await prepareCronRun(ctx, name, { app: o.app, server: o.server });
        // The task's output is what the user came for: shown like --verbose.
        await runJob(ctx, plan.spec, plan.body, { json: Boolean(o.json), verbose: true });
      });
    });

  cron
    .command('remove <name>')
    .description('remove a task: its timer (or cron file) and its directory on the server, then the record')
    .option('--app <app>', 'app of the task (when several apps use the name)')
    .option('--server <server>', 'server of the app')
    .option('--json', 'print the job record as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const r = await runPlanCli(ctx, await prepareCronRemove(ctx, name, { app: o.app, server: o.server }), o.json);
        if (!o.json) success(`removed task ${c.bold(r.task)} of ${r.app}`);
      });
    });
}
