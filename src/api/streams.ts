import { InfraktError, toInfraktError } from '../core/errors.js';
import type { JobEvent, JobRecord, JobStatus } from '../core/jobs.js';
import { appLogs } from '../services/apps/app-lifecycle.js';
import { resolveApp } from '../services/apps/apps.js';
import { getJob } from '../services/jobs/job-access.js';
import type { Ctx } from '../services/shared/context.js';
import { errorBody } from './errors.js';
import { lastEventId, type SseSink, sseResponse } from './sse.js';

const TERMINAL: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled']);
const PAGE = 1000;

/**
 * A job's events as SSE: `job` snapshot, replay of log lines after the client's cursor, then live
 * events until the job ends (`end`, then the stream closes). Subscribing before the snapshot and
 * de-duplicating by log id means no line is lost or sent twice across the replay/live seam.
 */
export async function streamJobEvents(
  ctx: Ctx,
  id: string,
  lastEventIdHeader: string | undefined,
  signal: AbortSignal,
  pingMs: number | undefined,
): Promise<Response> {
  await getJob(ctx, id); // unknown job, or one outside the caller's scope → 404 before any stream starts
  return sseResponse(
    signal,
    async (sink) => {
      let cursor = lastEventId(lastEventIdHeader) ?? 0;
      let live = false;
      let ended = false;
      const buffered: JobEvent[] = [];

      const finish = (job: Pick<JobRecord, 'status' | 'error'>) => {
        if (ended) return;
        ended = true;
        sink.send({ event: 'end', data: { status: job.status, error: job.error ?? null } });
        sink.close();
      };
      const deliver = (e: JobEvent) => {
        if (e.type === 'log') {
          if (e.id <= cursor) return;
          cursor = e.id;
          sink.send({ event: 'log', id: e.id, data: e });
        } else if (e.type === 'step') {
          sink.send({ event: 'step', data: e.step });
        } else {
          sink.send({ event: 'status', data: { status: e.status, error: e.error ?? null } });
          // Drain lines logged just before the end, then close.
          if (TERMINAL.has(e.status)) {
            void replay().then(() => finish({ status: e.status, error: e.error ?? null }));
          }
        }
      };
      const replay = async () => {
        for (;;) {
          const page = await ctx.jobs.logs(id, { afterId: cursor, limit: PAGE });
          for (const l of page) deliver(l);
          if (page.length < PAGE || sink.closed) return;
        }
      };

      const unsubscribe = ctx.jobs.subscribe(id, (e) => {
        if (sink.closed || ended) return;
        if (live) deliver(e);
        else buffered.push(e);
      });
      sink.signal.addEventListener('abort', unsubscribe, { once: true });

      const snapshot = await ctx.jobs.get(id);
      sink.send({ event: 'job', data: snapshot });
      await replay();
      live = true;
      for (const e of buffered.splice(0)) if (!ended) deliver(e);
      if (TERMINAL.has(snapshot.status)) finish(snapshot);
    },
    pingMs === undefined ? {} : { pingMs },
  );
}

/**
 * Follows an app's container logs as SSE `log` events (`{ stream, line }`, `id:` = line number in this
 * stream). Ends with `end` when the log stream stops (e.g. the containers were removed) or `error`.
 */
export async function streamAppLogs(
  ctx: Ctx,
  name: string,
  opts: { server?: string; lines: number; signal: AbortSignal; pingMs: number | undefined },
): Promise<Response> {
  const { app } = await resolveApp(ctx, name, opts.server); // 404 / 409 before the stream starts
  if (app.current_release === null) {
    throw new InfraktError('STATE', `'${app.name}' is not deployed`, {
      hint: `deploy it first: infrakt app deploy ${app.name}`,
    });
  }
  return sseResponse(
    opts.signal,
    async (sink) => {
      let n = 0;
      try {
        await appLogs(ctx, name, {
          server: opts.server,
          lines: opts.lines,
          follow: true,
          signal: sink.signal,
          onLine: (stream, line) => sink.send({ event: 'log', id: ++n, data: { stream, line } }),
        });
        sink.send({ event: 'end', data: { reason: 'the log stream ended' } });
      } catch (e) {
        if (!sink.closed) sink.send({ event: 'error', data: errorBody(toInfraktError(e)) });
      }
      sink.close();
    },
    opts.pingMs === undefined ? {} : { pingMs: opts.pingMs },
  );
}

export type { SseSink };
