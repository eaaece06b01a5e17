// A stack installed as one job (the API's face of `catalog stack install`): the whole stack is validated before
// anything starts, then each entry's install runs as its own job, in order, and the first failure stops the
// rest. The stack job records which job installed which entry, so a dashboard can follow each and claim its
// outputs.
import { InfraktError, toInfraktError } from '../../core/errors.js';
import { getServerRow } from '../servers/servers.js';
import type { Ctx } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import type { CatalogInstallResult } from './install-compose.js';
import { prepareStackInstall, runStack, type StackInstallRequest, type StackReportLine } from './stacks.js';

export interface StackJobResult {
  readonly stack: string;
  readonly server: string;
  readonly lines: readonly StackReportLine[];
}

export async function prepareStackJob(
  ctx: Ctx,
  stackId: string,
  req: StackInstallRequest,
  onInstalled: (jobId: string, result: CatalogInstallResult) => void = () => {},
): Promise<JobPlan<StackJobResult>> {
  const members = await prepareStackInstall(ctx, stackId, req);
  const server = await getServerRow(ctx, req.server);
  const step = (m: { entry: string; name: string }) => `${m.entry} as ${m.name}`;
  return {
    spec: {
      kind: 'catalog.stack-install',
      target: `${server.name}/${stackId}`,
      serverId: server.id,
      params: { stack: stackId, entries: members.map((m) => m.name), ...(req.prefix ? { prefix: req.prefix } : {}) },
      locks: [`stack:${server.id}:${stackId}`],
      plannedSteps: members.map(step),
    },
    body: async (job) => {
      const report = await runStack(members, async (m, plan) => {
        let childId = '';
        try {
          return await job.step(step(m), async (s) => {
            const handle = await ctx.jobs.start(plan.spec, plan.body);
            childId = handle.id;
            s.detail(`job ${handle.id}`);
            const result = await handle.done;
            onInstalled(handle.id, result);
            s.detail(`job ${handle.id}: ${result.outcome === 'unchanged' ? 'unchanged' : 'installed'}`);
            return { jobId: handle.id, result };
          });
        } catch (e) {
          // runStack reads the failed entry's job id from the error, to report it.
          const err = toInfraktError(e);
          throw new InfraktError(err.code, err.message, {
            hint: err.hint,
            details: { ...err.details, ...(childId ? { jobId: childId } : {}) },
            cause: err,
          });
        }
      });
      for (const l of report.lines)
        if (l.status === 'already installed') job.skip(step(l), 'already installed from this entry');
        else if (l.status === 'not attempted') job.skip(step(l), 'an earlier entry failed');
      if (!report.ok) {
        const failed = report.lines.find((l) => l.status === 'failed');
        const done = report.lines.filter((l) => l.status === 'installed' || l.status === 'unchanged').length;
        throw new InfraktError(
          report.error!.code,
          `stack ${stackId} stopped at ${failed?.entry}: ${report.error!.message}`,
          {
            hint: `${done} of ${report.lines.length} entries in place; run the stack again once fixed: installed entries are skipped`,
            details: { report: report.lines },
          },
        );
      }
      return { stack: stackId, server: server.name, lines: report.lines };
    },
  };
}
