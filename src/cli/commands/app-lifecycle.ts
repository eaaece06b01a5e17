import type { Command } from 'commander';
import {
  appLogs,
  forgetApp,
  prepareDestroy,
  prepareRestart,
  prepareStart,
  prepareStop,
} from '../../services/apps/app-lifecycle.js';
import { withCtx } from '../context.js';
import { countOption } from '../options.js';
import { c, printJson, success } from '../output.js';
import { runPlanCli } from '../progress.js';
import { confirmByName } from '../prompt.js';

/** `app logs|restart|stop|destroy`: the running release's lifecycle (services/apps/app-lifecycle). */
export function registerAppLifecycleCommands(app: Command): void {
  app
    .command('logs <name>')
    .description('show the logs of the current release')
    .option('--server <server>', 'server of the app')
    .option('--lines <n>', 'how many lines from the end (1-1000000)', countOption(1_000_000), 100)
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
    ['start', prepareStart, 'start the stopped containers of the current release, health-checked (status running)'],
    ['restart', prepareRestart, 'restart the containers of the current release'],
    ['stop', prepareStop, 'stop the containers (status stopped; start again with app start or a deploy)'],
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
    .description(
      'remove containers, networks, the app dir and its route on the server, then the record; named volumes and ./ mounts are kept unless --volumes',
    )
    .option('--server <server>', 'server of the app')
    .option('--volumes', 'also remove the app’s named volumes and bind-mount data (--volume)')
    .option('--force', 'do not ask for the name to be typed')
    .option('-y, --yes', 'same as --force: answer yes to the confirmation')
    .option('--json', 'print the job record as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const plan = await prepareDestroy(ctx, name, { server: o.server, volumes: Boolean(o.volumes) });
        if (!o.force && !o.yes) {
          await confirmByName(
            `This destroys app '${name}' with its containers${o.volumes ? ', volumes and data' : ''}`,
            name,
            `pass -y/--yes (or --force) to destroy '${name}' without confirmation`,
          );
        }
        await runPlanCli(ctx, plan, o.json);
      });
    });

  app
    .command('forget <name>')
    .description('drop the local record of an app whose server is gone (its variables and history too); nothing remote')
    .option('--server <server>', 'server of the app')
    .option('--force', 'do not ask for the name to be typed')
    .option('-y, --yes', 'same as --force: answer yes to the confirmation')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        if (!o.force && !o.yes) {
          await confirmByName(
            `This forgets app '${name}' and its variables here (nothing on its server changes)`,
            name,
            `pass -y/--yes (or --force) to forget '${name}' without confirmation`,
          );
        }
        const r = await forgetApp(ctx, name, { server: o.server });
        if (o.json) return printJson(r);
        success(`forgot app ${c.bold(r.app)} of ${r.server} (nothing on the server changed)`);
      });
    });
}
