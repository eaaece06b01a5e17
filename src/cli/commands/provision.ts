import type { Command } from 'commander';
import { toInfraktError } from '../../core/errors.js';
import { prepareProvision } from '../../services/servers/provision.js';
import { runPlan } from '../../services/shared/job-plan.js';
import { withCtx } from '../context.js';
import { c, printJson, printTable } from '../output.js';
import { runJob, withLogsHint } from '../progress.js';

const STATUS: Record<string, string> = { changed: 'changed', unchanged: 'unchanged', 'would-change': 'would change' };

export function registerServerProvision(server: Command): void {
  server
    .command('provision <name>')
    .description(
      'install and harden a fresh Ubuntu 22.04/24.04 or Debian 12/13 server: Docker, Compose, Caddy, ufw, fail2ban',
    )
    .option('--dry-run', 'run the checks only and print what each step would change')
    .option('--verbose', 'show command output under the running step')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const plan = await prepareProvision(ctx, name, { dryRun: Boolean(o.dryRun) });
        if (o.json) {
          // The result (per-step status and detail) is the output; no progress, no summary line.
          const r = await runPlan(ctx, plan).catch((e: unknown) => {
            const err = toInfraktError(e);
            const jobId = err.details?.jobId;
            throw typeof jobId === 'string' ? withLogsHint(err, jobId) : err;
          });
          return printJson(r);
        }
        const { result } = await runJob(ctx, plan.spec, plan.body, { verbose: Boolean(o.verbose) });
        if (result.dryRun) {
          printTable(
            ['STEP', 'STATUS', 'DETAIL'],
            result.steps.map((s) => [s.name, STATUS[s.status] ?? s.status, s.detail]),
            'no steps',
          );
          const n = result.steps.filter((s) => s.status === 'would-change').length;
          process.stdout.write(
            `${n === 0 ? 'nothing to change' : `${n} step(s) would change`} on ${c.bold(name)} (${result.os})\n`,
          );
          return;
        }
        process.stdout.write(
          `${c.bold(name)} (${result.os}) is active: ${result.changed} step(s) changed, ${result.steps.length - result.changed} unchanged\n`,
        );
      });
    });
}
