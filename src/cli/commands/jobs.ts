import type { Command } from 'commander';
import { validation } from '../../core/errors.js';
import { JOB_STATUSES, type JobEvent, type JobRecord, type JobStatus } from '../../core/jobs.js';
import { resolveApp } from '../../services/apps/apps.js';
import { cancelJob, getJob, jobLogs, listJobs } from '../../services/jobs/job-access.js';
import { silentSteps } from '../../services/jobs/job-output.js';
import { resolveJobRef } from '../../services/jobs/job-ref.js';
import { getServerRow } from '../../services/servers/servers.js';
import { withCtx } from '../context.js';
import { countOption } from '../options.js';
import { c, dash, printJson, printTable, status } from '../output.js';
import { duration } from '../progress-render.js';
import { groupSteps, notRunLine } from '../step-groups.js';

type LogEvent = Extract<JobEvent, { type: 'log' }>;

const took = (j: Pick<JobRecord, 'startedAt' | 'finishedAt'>): string =>
  j.startedAt ? duration((j.finishedAt ? Date.parse(j.finishedAt) : Date.now()) - Date.parse(j.startedAt)) : '-';

const when = (iso: string | null): string => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');

function logLine(l: LogEvent, steps: Map<number, string>): string {
  const step = l.stepIdx === null ? '' : c.dim(`[${steps.get(l.stepIdx) ?? l.stepIdx}] `);
  const text = l.stream === 'stderr' ? c.yellow(l.line) : l.line;
  return `${c.dim(l.ts.slice(11, 19))} ${step}${text}\n`;
}

export function registerJobCommands(job: Command): void {
  job
    .command('list')
    .description('list recent jobs, newest first')
    .option('--status <status>', `only jobs in this state (${JOB_STATUSES.join(', ')})`)
    .option('--app <app>', 'only jobs of this app')
    .option('--server <server>', 'only jobs of this server (or, with --app, the server of the app)')
    .option('--limit <n>', 'how many (1-500)', countOption(500), 30)
    .option('--json', 'print as JSON')
    .action(async (o) => {
      if (o.status && !JOB_STATUSES.includes(o.status)) {
        throw validation(`unknown job status '${o.status}'`, `use one of: ${JOB_STATUSES.join(', ')}`);
      }
      await withCtx(async (ctx) => {
        const filter: { status?: JobStatus; appId?: number; serverId?: number; limit: number } = { limit: o.limit };
        if (o.status) filter.status = o.status;
        if (o.app) filter.appId = (await resolveApp(ctx, o.app, o.server)).app.id;
        else if (o.server) filter.serverId = (await getServerRow(ctx, o.server)).id;
        const jobs = await listJobs(ctx, filter);
        if (o.json) return printJson(jobs);
        printTable(
          ['ID', 'KIND', 'TARGET', 'STATUS', 'CREATED', 'TOOK', 'ACTOR'],
          jobs.map((j) => [j.id, j.kind, j.target, status(j.status), when(j.createdAt), took(j), j.actor]),
          'no jobs yet',
        );
      });
    });

  job
    .command('show <id>')
    .description('show a job: status, steps with exit codes and durations, error (id: full, a unique start, or last)')
    .option('--json', 'print as JSON')
    .action(async (ref: string, o) => {
      await withCtx(async (ctx) => {
        const j = await getJob(ctx, await resolveJobRef(ctx, ref));
        if (o.json) return printJson(j);
        const rows: [string, string][] = [
          ['id', j.id],
          ['kind', j.kind],
          ['target', j.target],
          ['status', `${status(j.status)}${j.cancelRequested ? c.yellow(' (cancel requested)') : ''}`],
          ['actor', j.actor],
          ['runner', dash(j.runner)],
          ['created', when(j.createdAt)],
          ['started', when(j.startedAt)],
          ['finished', when(j.finishedAt)],
          ['took', took(j)],
        ];
        // A deploy serves before it finishes (the previous release is retired after the switch).
        if (j.servingAt)
          rows.push(['serving', `${when(j.servingAt)} (${took({ startedAt: j.startedAt, finishedAt: j.servingAt })})`]);
        if (j.roundTrips != null)
          rows.push(['network', `${j.roundTrips} round trip(s), ${j.sshHandshakes ?? 0} SSH handshake(s)`]);
        if (j.error) rows.push(['error', `${c.red(j.error.code)} ${j.error.message}`]);
        if (j.error?.hint) rows.push(['hint', j.error.hint]);
        for (const [k, v] of rows) process.stdout.write(`${c.dim(k.padEnd(10))}${v}\n`);
        if (j.steps.length) {
          process.stdout.write('\n');
          // The steps a failure left unrun fold into one line: the reader looks for the one that failed.
          printTable(
            ['#', 'STEP', 'STATUS', 'EXIT', 'TOOK', 'DETAIL'],
            groupSteps(j.steps).map((g) =>
              'notRun' in g
                ? [
                    `${g.notRun[0]!.idx + 1}-${g.notRun.at(-1)!.idx + 1}`,
                    c.dim(notRunLine(g.notRun)),
                    status('skipped'),
                    '-',
                    '-',
                    '-',
                  ]
                : [
                    String(g.step.idx + 1),
                    g.step.name,
                    status(g.step.status),
                    dash(g.step.exitCode),
                    took(g.step),
                    dash(g.step.detail),
                  ],
            ),
            '',
          );
        }
        process.stdout.write(c.dim(`\nlog: infrakt job logs ${j.id}\n`));
      });
    });

  job
    .command('logs <id>')
    .description("print a job's (redacted) log (id: full, a unique start, or last)")
    .option('-f, --follow', 'keep printing new lines until the job ends')
    .option('--json', 'print log lines as JSON (one object a line)')
    .action(async (ref: string, o) => {
      await withCtx(async (ctx) => {
        const id = await resolveJobRef(ctx, ref);
        const j = await getJob(ctx, id);
        const steps = new Map(j.steps.map((s) => [s.idx, s.name]));
        // Steps that ran and wrote nothing get a line saying so, where their output would have been.
        const silent = o.json ? [] : await silentSteps(ctx, id);
        const sayNoOutput = (beforeIdx: number) => {
          while (silent.length > 0 && silent[0]! < beforeIdx) {
            const idx = silent.shift()!;
            const at = j.steps.find((s) => s.idx === idx)?.startedAt ?? '';
            process.stdout.write(
              `${c.dim(at.slice(11, 19))} ${c.dim(`[${steps.get(idx) ?? idx}]`)} ${c.dim('(no output)')}\n`,
            );
          }
        };
        const print = (l: LogEvent) => {
          if (!o.json && l.stepIdx !== null) sayNoOutput(l.stepIdx);
          process.stdout.write(o.json ? `${JSON.stringify(l)}\n` : logLine(l, steps));
        };
        let last = 0;
        for (;;) {
          const page = await jobLogs(ctx, id, { afterId: last, limit: 5000 });
          for (const l of page) print(l);
          last = page.at(-1)?.id ?? last;
          if (page.length < 5000) break;
        }
        sayNoOutput(Number.POSITIVE_INFINITY);
        if (!o.json && last === 0 && !o.follow) {
          const ended = ['succeeded', 'failed', 'cancelled'].includes(j.status);
          process.stdout.write(
            c.dim(`job ${id} has no output${ended ? '' : ' yet'} (its steps: infrakt job show ${id})\n`),
          );
        }
        if (!o.follow) return;
        const end = await new Promise<JobEvent & { type: 'status' }>((resolve) => {
          const off = ctx.jobs.subscribe(
            id,
            (e) => {
              if (e.type === 'step') steps.set(e.step.idx, e.step.name);
              if (e.type === 'log') print(e);
              if (e.type === 'status' && ['succeeded', 'failed', 'cancelled'].includes(e.status)) {
                off();
                resolve(e);
              }
            },
            { afterId: last },
          );
        });
        if (!o.json) {
          const tail = end.error ? `: ${end.error.code} ${end.error.message}` : '';
          process.stderr.write(`${c.dim(`job ${id} ${end.status}${tail}`)}\n`);
        }
      });
    });

  job
    .command('cancel <id>')
    .description('cancel a queued or running job (its process stops it within about a second)')
    .option('--json', 'print the job as JSON')
    .action(async (ref: string, o) => {
      await withCtx(async (ctx) => {
        const id = await resolveJobRef(ctx, ref);
        let j = await cancelJob(ctx, id);
        // Another process notices within ~500 ms: wait a little so the answer is usually final.
        const deadline = Date.now() + 3000;
        while (!['cancelled', 'failed', 'succeeded'].includes(j.status) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 100));
          j = await ctx.jobs.get(id);
        }
        if (o.json) return printJson(j);
        if (j.status === 'cancelled') process.stdout.write(`${c.green('✓')} cancelled job ${id}\n`);
        else if (j.status === 'failed' || j.status === 'succeeded') {
          process.stdout.write(`job ${id} ended ${j.status} before it could be cancelled\n`);
        } else {
          process.stdout.write(`cancellation requested for job ${id} (run by ${j.runner ?? 'another process'})\n`);
          process.stdout.write(c.dim(`follow it with: infrakt job logs -f ${id}\n`));
        }
      });
    });
}
