import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { jobLogLineSchema, jobRecordSchema } from '../../core/schemas/views/jobs.js';
import { cancelJob, getJob, jobLogs, listJobs } from '../../services/jobs/job-access.js';
import { type Api, ERRORS, json, type RouteDeps, security } from '../route-kit.js';
import { jobIdParam, jobsQuery, logsQuery } from '../schemas.js';
import { streamJobEvents } from '../streams.js';

const tags = ['jobs'];

export const SSE_DESCRIPTION =
  'Server-Sent Events. Read it with fetch() and a ReadableStream so the X-API-Key header can be sent ' +
  '(EventSource cannot send headers; never put the key in the URL). Events: `job` (snapshot), `step`, ' +
  '`log` (with `id:` = log cursor), `status`, and `end` before the server closes the stream. Resume with the ' +
  '`Last-Event-ID` header set to the last log id received.';

export function jobRoutes(api: Api, deps: RouteDeps): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/jobs',
      tags,
      summary: 'Recent jobs, newest first',
      security,
      request: { query: jobsQuery },
      responses: { 200: json(z.array(jobRecordSchema), 'Jobs'), ...ERRORS },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const jobs = await listJobs(c.var.ctx, {
        limit: q.limit ?? 50,
        ...(q.status ? { status: q.status } : {}),
      });
      return c.json(jobs, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/jobs/{id}',
      tags,
      summary: 'One job with its steps',
      security,
      request: { params: jobIdParam },
      responses: { 200: json(jobRecordSchema, 'Job'), ...ERRORS },
    }),
    async (c) => c.json(await getJob(c.var.ctx, c.req.valid('param').id), 200),
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/jobs/{id}/logs',
      tags,
      summary: 'Log lines of a job (redacted), after a cursor',
      security,
      request: { params: jobIdParam, query: logsQuery },
      responses: { 200: json(z.array(jobLogLineSchema), 'Log lines'), ...ERRORS },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const q = c.req.valid('query');
      // 404 for an unknown job (or one outside the caller's scope) rather than an empty list
      const lines = await jobLogs(c.var.ctx, id, {
        afterId: q.after,
        limit: q.limit ?? 1000,
      });
      return c.json(lines, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/jobs/{id}/cancel',
      tags,
      summary: 'Ask a queued or running job to stop (its steps are cancelled at the next safe point)',
      security,
      request: { params: jobIdParam },
      responses: { 200: json(jobRecordSchema, 'The job after the cancel request'), ...ERRORS },
    }),
    async (c) => c.json(await cancelJob(c.var.ctx, c.req.valid('param').id), 200),
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/jobs/{id}/events',
      tags,
      summary: 'Live job events (SSE): steps and log lines as they happen',
      description: SSE_DESCRIPTION,
      security,
      request: {
        params: jobIdParam,
        headers: z.object({ 'last-event-id': z.string().optional() }),
      },
      responses: {
        200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: z.string() } } },
        ...ERRORS,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const res = await streamJobEvents(c.var.ctx, id, c.req.header('Last-Event-ID'), c.req.raw.signal, deps.ssePingMs);
      // A raw streaming Response: the typed-JSON helpers do not apply.
      return res as never;
    },
  );
}
