import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { InfraktError } from '../../core/errors.js';
import { appLogs, prepareDestroy, prepareRestart, prepareStop } from '../../services/app-lifecycle.js';
import { updateAppSource } from '../../services/apps.js';
import { type DeployResult, prepareDeploy } from '../../services/deploy/deploy-app.js';
import type { JobPlan } from '../../services/job-plan.js';
import { listDeployments } from '../../services/releases.js';
import { prepareRollback } from '../../services/rollback.js';
import { type CliCtx, withCtx } from '../context.js';
import { c, dash, printJson, printTable, status, success } from '../output.js';
import { runJob } from '../progress.js';
import { confirmByName } from '../prompt.js';
import { intOption } from './options.js';

/** Runs a prepared job with progress; `--json` prints the job record (with its result). */
export async function runPlanCli<T>(ctx: CliCtx, plan: JobPlan<T>, json: boolean): Promise<T> {
  const { result } = await runJob(ctx, plan.spec, plan.body, { json });
  return result;
}

export function printRelease(r: DeployResult): void {
  process.stdout.write(
    `  release ${c.bold(String(r.release))} serving on 127.0.0.1:${r.hostPort} ${c.dim(`(${r.sourceRef.slice(0, 32)}, ${r.msToServing} ms to serving)`)}\n`,
  );
}

/** Reads a compose file given on the command line (its content is stored with the app). */
export function readComposeFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InfraktError(
      'VALIDATION',
      `cannot read compose file ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
}

export function registerAppDeployCommands(app: Command): void {
  app
    .command('deploy <name>')
    .description('deploy or redeploy: the new release starts beside the old one and gets traffic once healthy')
    .option('--server <server>', 'server of the app (when the name is used on several)')
    .option('--wait', 'wait for a deploy of this app already running instead of failing')
    .option('--json', 'print the job record as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const r = await runPlanCli(ctx, await prepareDeploy(ctx, name, { server: o.server, wait: o.wait }), o.json);
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
        const plan = await prepareRollback(ctx, name, { server: o.server, to: o.to, wait: o.wait });
        const r = await runPlanCli(ctx, plan, o.json);
        if (!o.json) printRelease(r);
      });
    });

  app
    .command('deployments <name>')
    .description('release history: id, source (image digest / git commit / compose hash), times, status, who')
    .option('--server <server>', 'server of the app')
    .option('--limit <n>', 'how many', intOption, 20)
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
    .option('--json', 'print the job record as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const plan = await prepareDestroy(ctx, name, { server: o.server });
        if (!o.force) {
          await confirmByName(
            `This destroys app '${name}' with its containers, volumes and data`,
            name,
            `pass --force to destroy '${name}' without confirmation`,
          );
        }
        await runPlanCli(ctx, plan, o.json);
      });
    });

  app
    .command('update <name>')
    .description("change an app's source (image, branch or compose file); applied by the next deploy")
    .option('--image <image>', 'new image (image apps)')
    .option('--branch <branch>', 'new branch (git apps)')
    .option('--compose-file <path>', 'new compose file (compose apps)')
    .option('--server <server>', 'server of the app')
    .option('--json', 'print the app as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const patch = {
          ...(o.image !== undefined ? { image: o.image } : {}),
          ...(o.branch !== undefined ? { branch: o.branch } : {}),
          ...(o.composeFile !== undefined ? { composeFile: readComposeFile(o.composeFile) } : {}),
        };
        const view = await updateAppSource(ctx, name, patch, o.server);
        if (o.json) return printJson(view);
        success(`updated ${c.bold(view.name)}; apply with: infrakt app deploy ${view.name}`);
      });
    });
}
