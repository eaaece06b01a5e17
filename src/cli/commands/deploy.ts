import type { Command } from 'commander';
import { prepareDeploy } from '../../services/apps/deploy/deploy-app.js';
import { listDeployments } from '../../services/apps/releases.js';
import { prepareRollback } from '../../services/apps/rollback.js';
import { clusterDeployPlan, clusterRollbackPlan } from '../../services/clusters/cluster-app-ops.js';
import { withCtx } from '../context.js';
import { countOption, intOption } from '../options.js';
import { c, dash, printJson, printTable, status } from '../output.js';
import { printClusterResult, printRelease } from '../print-release.js';
import { runPlanCli } from '../progress.js';

/** `app deploy|rollback|deployments`: releases through the health-gated switch (services/apps/deploy, rollback). */
export function registerDeployCommands(app: Command): void {
  app
    .command('deploy <name>')
    .description('deploy or redeploy: the new release starts beside the old one and gets traffic once healthy')
    .option('--server <server>', 'server of the app (when the name is used on several)')
    .option('--wait', 'wait for a deploy of this app already running instead of failing')
    .option('--commit <sha>', 'git apps: deploy exactly this commit of the branch instead of its head')
    .option(
      '--local-image <image>',
      'send this image from the local Docker over SSH (docker save | gzip → docker load) and deploy it',
    )
    .option('--json', 'print the job record as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const opts = { server: o.server, wait: o.wait, commit: o.commit, localImage: o.localImage };
        const onCluster = await clusterDeployPlan(ctx, name, opts);
        if (onCluster) {
          const r = await runPlanCli(ctx, onCluster, o.json);
          if (!o.json) printClusterResult(r);
          return;
        }
        const r = await runPlanCli(ctx, await prepareDeploy(ctx, name, opts), o.json);
        if (!o.json) printRelease(r);
      });
    });

  app
    .command('rollback <name>')
    .description('switch back to a kept release (default: the one before the current), health-gated')
    .option('--to <release>', 'release number (see app deployments)', intOption)
    .option('--server <server>', 'server of the app')
    .option('--wait', 'wait for a running job of this app')
    .option('--json', 'print the job record as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const onCluster = await clusterRollbackPlan(ctx, name, { server: o.server, to: o.to, wait: o.wait });
        if (onCluster) {
          const r = await runPlanCli(ctx, onCluster, o.json);
          if (!o.json) printClusterResult(r);
          return;
        }
        const plan = await prepareRollback(ctx, name, { server: o.server, to: o.to, wait: o.wait });
        const r = await runPlanCli(ctx, plan, o.json);
        if (!o.json) printRelease(r);
      });
    });

  app
    .command('deployments <name>')
    .description('release history: id, source (image digest / git commit / compose hash), times, status, who')
    .option('--server <server>', 'server of the app')
    .option('--limit <n>', 'how many (1-500)', countOption(500), 20)
    .option('--json', 'print as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const rows = await listDeployments(ctx, name, { server: o.server, limit: o.limit });
        if (o.json) return printJson(rows);
        printTable(
          ['RELEASE', 'ACTION', 'SOURCE', 'STATUS', 'STARTED', 'FINISHED', 'BY', 'ERROR'],
          rows.map((r) => [
            `${r.release}${r.current ? c.green(' *') : ''}`,
            r.action,
            dash(r.source?.slice(0, 24)),
            status(r.status),
            r.startedAt,
            dash(r.finishedAt),
            r.by,
            dash(r.error),
          ]),
          `no deployments of ${name} yet — deploy with: infrakt app deploy ${name}`,
        );
      });
    });
}
