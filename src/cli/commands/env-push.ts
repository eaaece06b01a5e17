import type { Command } from 'commander';
import { prepareEnvPush } from '../../services/apps/env-push.js';
import { withCtx } from '../context.js';
import { printRelease } from '../print-release.js';
import { runPlanCli } from '../progress.js';

export function registerEnvPushCommand(env: Command): void {
  env
    .command('push <app>')
    .description('apply the stored variables: the current release restarts beside itself with them, health-gated')
    .option('--server <server>', 'server of the app')
    .option('--wait', 'wait for a running job of this app')
    .option('--json', 'print the job record as JSON')
    .action(async (app: string, o) => {
      await withCtx(async (ctx) => {
        const r = await runPlanCli(ctx, await prepareEnvPush(ctx, app, { server: o.server, wait: o.wait }), o.json);
        if (!o.json) printRelease(r);
      });
    });
}
