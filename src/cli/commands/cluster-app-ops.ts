import type { Command } from 'commander';
import { clusterAppPs, prepareScale } from '../../services/clusters/cluster-app-ops.js';
import { withCtx } from '../context.js';
import { c, dash, printJson, printTable, status } from '../output.js';
import { printClusterResult } from '../print-release.js';
import { runPlanCli } from '../progress.js';

/** `app scale|ps`: replicas of a cluster app (services/clusters/cluster-app-ops). */
export function registerClusterAppCommands(app: Command): void {
  app
    .command('scale <name> <replicas>')
    .description('set the number of replicas of a cluster app and wait until they all run healthy')
    .option('--server <server>', 'server of the app (when the name is used on several)')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, replicas: string, o) => {
      await withCtx(async (ctx) => {
        const n = /^\d+$/.test(replicas) ? Number(replicas) : Number.NaN;
        const r = await runPlanCli(ctx, await prepareScale(ctx, name, n, { server: o.server }), o.json);
        if (!o.json) printClusterResult(r);
      });
    });

  app
    .command('ps <name>')
    .description('replicas of a cluster app: node, state and error of each task')
    .option('--server <server>', 'server of the app')
    .option('--all', 'include tasks that ended (failed, shut down)')
    .option('--json', 'print as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const ps = await clusterAppPs(ctx, name, { server: o.server });
        if (o.json) return printJson(ps);
        process.stdout.write(
          `${c.bold(ps.app)} on cluster ${ps.cluster}: ${ps.running}/${dash(ps.replicas)} running, ${ps.image}${ps.updateState ? ` (${ps.updateState.replace('_', ' ')})` : ''}\n`,
        );
        const tasks = o.all ? ps.tasks : ps.tasks.filter((t) => t.desiredState === 'Running');
        printTable(
          ['TASK', 'NODE', 'IMAGE', 'DESIRED', 'STATE', 'ERROR'],
          tasks.map((t) => [
            t.name,
            dash(t.node),
            t.image,
            t.desiredState.toLowerCase(),
            status(t.currentState),
            dash(t.error),
          ]),
          'no tasks',
        );
      });
    });
}
