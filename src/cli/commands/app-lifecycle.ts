import type { Command } from 'commander';
import { appLogs, prepareDestroy, prepareRestart, prepareStop } from '../../services/apps/app-lifecycle.js';
import { withCtx } from '../context.js';
import { intOption } from '../options.js';
import { runPlanCli } from '../progress.js';
import { confirmByName } from '../prompt.js';

/** `app logs|restart|stop|destroy`: the running release's lifecycle (services/apps/app-lifecycle). */
export function registerAppLifecycleCommands(app: Command): void {
  app
    .command('logs <name>')
    .description('show the logs of the current release')
    .option('--server <server>', 'server of the app')
    .option('--lines <n>', 'how many lines from the end', intOption, 100)
    .option('-f, --follow', 'keep streaming new lines (Ctrl-C to stop)')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const ac = new AbortController();
        const stop = () => ac.abort();
        process.once('SIGINT', stop);
        try {
          await appLogs(ctx, name, {
            server: o.server,
            lines: o.lines,
            follow: Boolean(o.follow),
            signal: ac.signal,
            onLine: (_s, line) => process.stdout.write(`${line}\n`),
          }).catch((e) => {
            if (!ac.signal.aborted) throw e;
          });
        } finally {
          process.off('SIGINT', stop);
        }
      });
    });

  for (const [verb, prepare, what] of [
    ['restart', prepareRestart, 'restart the containers of the current release'],
    ['stop', prepareStop, 'stop the containers (status stopped; start again with app restart or a deploy)'],
  ] as const) {
    app
      .command(`${verb} <name>`)
      .description(what)
      .option('--server <server>', 'server of the app')
      .option('--json', 'print the job record as JSON')
      .action(async (name: string, o) => {
        await withCtx(async (ctx) => {
          await runPlanCli(ctx, await prepare(ctx, name, { server: o.server }), o.json);
        });
      });
  }

  app
    .command('destroy <name>')
    .description('remove containers, volumes, networks, the app dir and its route on the server, then the record')
    .option('--server <server>', 'server of the app')
    .option('--force', 'do not ask for the name to be typed')
    .option('-y, --yes', 'same as --force: answer yes to the confirmation')
    .option('--json', 'print the job record as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const plan = await prepareDestroy(ctx, name, { server: o.server });
        if (!o.force && !o.yes) {
          await confirmByName(
            `This destroys app '${name}' with its containers, volumes and data`,
            name,
            `pass -y/--yes (or --force) to destroy '${name}' without confirmation`,
          );
        }
        await runPlanCli(ctx, plan, o.json);
      });
    });
}
