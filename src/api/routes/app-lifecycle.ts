import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { type AppLogLine, appLogLineSchema } from '../../core/schemas/views/apps.js';
import {
  appLogs,
  forgetApp,
  prepareDestroy,
  prepareRestart,
  prepareStart,
  prepareStop,
} from '../../services/apps/app-lifecycle.js';
import { type Api, ERRORS, isTrue, json, REMOTE_ERRORS, type RouteDeps, security } from '../route-kit.js';
import { nameParam, serverQuery } from '../schemas.js';
import { appLogsQuery } from '../schemas-remote.js';
import { streamAppLogs } from '../streams.js';
import { accepted, appJobRoute } from './app-job-route.js';
import { SSE_DESCRIPTION } from './jobs.js';

const tags = ['apps'];
const appForgottenSchema = z.object({ app: z.string(), server: z.string() }).meta({ id: 'AppForgotten' });
const MAX_LOG_LINES = 10_000;

/** The running release: restart, stop, destroy, logs (services/apps/app-lifecycle). */
export function appLifecycleRoutes(api: Api, deps: RouteDeps): void {
  appJobRoute(
    api,
    tags,
    '/api/apps/{name}/start',
    'Start the stopped containers of the current release (health-checked)',
    async (c, name, o) => deps.startPlan(c, await prepareStart(c.var.ctx, name, o)),
  );
  appJobRoute(
    api,
    tags,
    '/api/apps/{name}/restart',
    'Restart the containers of the current release',
    async (c, name, o) => deps.startPlan(c, await prepareRestart(c.var.ctx, name, o)),
  );
  appJobRoute(
    api,
    tags,
    '/api/apps/{name}/stop',
    'Stop the containers (kept for restart or the next deploy)',
    async (c, name, o) => deps.startPlan(c, await prepareStop(c.var.ctx, name, o)),
  );
  api.openapi(
    createRoute({
      method: 'delete',
      path: '/api/apps/{name}',
      tags,
      summary:
        'Destroy: containers, images, directory and route on the server, then the record; named volumes and ./ mounts only with volumes=true',
      security,
      request: {
        params: nameParam,
        query: serverQuery.extend({ volumes: z.enum(['true', 'false', '1', '0']).optional() }),
      },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const { server, volumes } = c.req.valid('query');
      const plan = await prepareDestroy(c.var.ctx, c.req.valid('param').name, { server, volumes: isTrue(volumes) });
      return deps.startPlan(c, plan);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/apps/{name}/forget',
      tags,
      summary: 'Forget an app locally (its server is gone): the record, variables and history; nothing remote',
      security,
      request: { params: nameParam, query: serverQuery },
      responses: { 200: json(appForgottenSchema, 'Forgotten'), ...ERRORS },
    }),
    async (c) =>
      c.json(await forgetApp(c.var.ctx, c.req.valid('param').name, { server: c.req.valid('query').server }), 200),
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
        server: q.server,
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
        server: q.server,
        lines: q.lines ?? 100,
        signal: c.req.raw.signal,
        pingMs: deps.ssePingMs,
      });
      return res as never;
    },
  );
}
