import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppLogLine, appLogLineSchema, deploymentViewSchema } from '../../core/schemas/views/apps.js';
import { jobAcceptedSchema } from '../../core/schemas/views/jobs.js';
import { appLogs, prepareDestroy, prepareRestart, prepareStop } from '../../services/app-lifecycle.js';
import { prepareDeploy } from '../../services/deploy/deploy-app.js';
import { listDeployments } from '../../services/releases.js';
import { prepareEnvPush, prepareRollback } from '../../services/rollback.js';
import { type Api, json, REMOTE_ERRORS, type RouteDeps, security } from '../route-kit.js';
import { nameParam, serverQuery } from '../schemas.js';
import { appLogsQuery, deployBody, rollbackBody } from '../schemas-remote.js';
import { streamAppLogs } from '../streams.js';
import { SSE_DESCRIPTION } from './jobs.js';

const tags = ['apps'];
const accepted = { 202: json(jobAcceptedSchema, 'Job started; follow it at Location (and /events)') };
const MAX_LOG_LINES = 10_000;

/** Deploy engine routes: every change is a job (202 + Location); reads answer at once. */
export function appOpsRoutes(api: Api, deps: RouteDeps): void {
  const jobRoute = (
    path: string,
    summary: string,
    start: (
      c: Parameters<RouteDeps['startPlan']>[0],
      name: string,
      opts: { server?: string; wait?: boolean },
    ) => Promise<never>,
  ) =>
    api.openapi(
      createRoute({
        method: 'post',
        path,
        tags,
        summary,
        security,
        request: {
          params: nameParam,
          query: serverQuery,
          body: { content: { 'application/json': { schema: deployBody } }, required: false },
        },
        responses: { ...accepted, ...REMOTE_ERRORS },
      }),
      async (c) => {
        // Body optional: a bare POST (no Content-Type) validates as {}.
        const body = c.req.valid('json');
        const server = body.server ?? c.req.valid('query').server;
        return start(c, c.req.valid('param').name, {
          ...(server ? { server } : {}),
          ...(body.wait ? { wait: true } : {}),
        });
      },
    );

  jobRoute(
    '/api/apps/{name}/deploy',
    'Deploy: the new release starts beside the old one and gets traffic once healthy',
    async (c, name, o) => deps.startPlan(c, await prepareDeploy(c.var.ctx, name, o)),
  );
  jobRoute('/api/apps/{name}/restart', 'Restart the containers of the current release', async (c, name, o) =>
    deps.startPlan(c, await prepareRestart(c.var.ctx, name, o)),
  );
  jobRoute('/api/apps/{name}/stop', 'Stop the containers (kept for restart or the next deploy)', async (c, name, o) =>
    deps.startPlan(c, await prepareStop(c.var.ctx, name, o)),
  );
  jobRoute(
    '/api/apps/{name}/env/push',
    "Restart the current release with the app's variables as stored now (health-gated switch)",
    async (c, name, o) => deps.startPlan(c, await prepareEnvPush(c.var.ctx, name, o)),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/apps/{name}/rollback',
      tags,
      summary: 'Switch back to a kept release (default: the one before the current), health-gated',
      security,
      request: {
        params: nameParam,
        query: serverQuery,
        body: { content: { 'application/json': { schema: rollbackBody } }, required: false },
      },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const plan = await prepareRollback(c.var.ctx, c.req.valid('param').name, {
        ...((body.server ?? c.req.valid('query').server) ? { server: body.server ?? c.req.valid('query').server } : {}),
        ...(body.release !== undefined ? { to: body.release } : {}),
        ...(body.wait ? { wait: true } : {}),
      });
      return deps.startPlan(c, plan);
    },
  );

  api.openapi(
    createRoute({
      method: 'delete',
      path: '/api/apps/{name}',
      tags,
      summary: 'Destroy: containers, volumes, images, directory and route on the server, then the record',
      security,
      request: { params: nameParam, query: serverQuery },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const server = c.req.valid('query').server;
      return deps.startPlan(c, await prepareDestroy(c.var.ctx, c.req.valid('param').name, server ? { server } : {}));
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/apps/{name}/deployments',
      tags,
      summary: 'Deployment history, newest first',
      security,
      request: {
        params: nameParam,
        query: serverQuery.extend({ limit: z.coerce.number().int().min(1).max(500).optional() }),
      },
      responses: { 200: json(z.array(deploymentViewSchema), 'Deployments'), ...REMOTE_ERRORS },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const list = await listDeployments(c.var.ctx, c.req.valid('param').name, {
        ...(q.server ? { server: q.server } : {}),
        ...(q.limit ? { limit: q.limit } : {}),
      });
      return c.json(list, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/apps/{name}/logs',
      tags,
      summary: 'The last `lines` log lines of the current release (default 100)',
      security,
      request: { params: nameParam, query: appLogsQuery },
      responses: { 200: json(z.array(appLogLineSchema), 'Log lines, oldest first'), ...REMOTE_ERRORS },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const lines: AppLogLine[] = [];
      await appLogs(c.var.ctx, c.req.valid('param').name, {
        ...(q.server ? { server: q.server } : {}),
        lines: q.lines ?? 100,
        signal: c.req.raw.signal,
        onLine: (stream, line) => {
          if (lines.length < MAX_LOG_LINES * 2) lines.push({ stream, line });
        },
      });
      return c.json(lines, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/apps/{name}/logs/stream',
      tags,
      summary: 'Follow the logs of the current release (SSE `log` events), starting with the last `lines`',
      description: `${SSE_DESCRIPTION} App logs are not resumable: a reconnect starts again from the last \`lines\`.`,
      security,
      request: { params: nameParam, query: appLogsQuery },
      responses: {
        200: { description: 'text/event-stream', content: { 'text/event-stream': { schema: z.string() } } },
        ...REMOTE_ERRORS,
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const res = await streamAppLogs(c.var.ctx, c.req.valid('param').name, {
        ...(q.server ? { server: q.server } : {}),
        lines: q.lines ?? 100,
        signal: c.req.raw.signal,
        pingMs: deps.ssePingMs,
      });
      return res as never;
    },
  );
}
