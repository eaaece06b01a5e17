import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { nameSchema } from '../../core/schemas/common.js';
import { cronTaskViewSchema } from '../../core/schemas/views/cron.js';
import { prepareCronAdd, prepareCronRemove, prepareCronRun } from '../../services/cron/cron.js';
import { listCronTasks } from '../../services/cron/cron-list.js';
import { type Api, isTrue, json, REMOTE_ERRORS, type RouteDeps, security } from '../route-kit.js';
import { nameParam, serverQuery } from '../schemas.js';
import { accepted } from './app-job-route.js';

const tags = ['cron'];

export const cronAddBody = z
  .object({
    name: nameSchema.describe('Task name, unique per app'),
    schedule: z.string().min(1).max(200).describe('5-field cron expression or @hourly/@daily/… (server time)'),
    command: z.array(z.string().max(16_384)).min(1).max(512).describe('The program and its arguments'),
    service: z.string().max(63).optional().describe('Another service of a compose app'),
    timeoutSeconds: z.number().int().optional().describe('End a run after this long (default 3600)'),
    server: nameSchema.optional(),
  })
  .meta({ id: 'CronAdd' });

const taskParam = z.object({ name: nameSchema, task: nameSchema });
const listQuery = serverQuery.extend({
  status: z.enum(['true', 'false', '1', '0']).optional().describe('Read the last results from the server (default)'),
});

/** Scheduled tasks of an app (services/cron): list with their last results, add, run now, remove. */
export function cronRoutes(api: Api, deps: RouteDeps): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/apps/{name}/cron',
      tags,
      summary: "The app's scheduled tasks with the result, duration and log tail of their last run",
      security,
      request: { params: nameParam, query: listQuery },
      responses: { 200: json(z.array(cronTaskViewSchema), 'Tasks'), ...REMOTE_ERRORS },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const live = q.status === undefined || isTrue(q.status);
      const tasks = await listCronTasks(c.var.ctx, {
        app: c.req.valid('param').name,
        ...(q.server ? { server: q.server } : {}),
        live,
      });
      return c.json(tasks, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/apps/{name}/cron',
      tags,
      summary: 'Add a scheduled task (systemd timer, or cron.d where systemd is absent)',
      security,
      request: {
        params: nameParam,
        body: { content: { 'application/json': { schema: cronAddBody } }, required: true },
      },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const plan = await prepareCronAdd(c.var.ctx, {
        app: c.req.valid('param').name,
        name: b.name,
        schedule: b.schedule,
        command: b.command,
        ...(b.server ? { server: b.server } : {}),
        ...(b.service ? { service: b.service } : {}),
        ...(b.timeoutSeconds !== undefined ? { timeoutSeconds: b.timeoutSeconds } : {}),
      });
      return deps.startPlan(c, plan);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/apps/{name}/cron/{task}/run',
      tags,
      summary: 'Run a task now, as its timer would; its output goes to the job log and becomes its last result',
      security,
      request: { params: taskParam, query: serverQuery },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const { name, task } = c.req.valid('param');
      const server = c.req.valid('query').server;
      return deps.startPlan(c, await prepareCronRun(c.var.ctx, task, { app: name, ...(server ? { server } : {}) }));
    },
  );

  api.openapi(
    createRoute({
      method: 'delete',
      path: '/api/apps/{name}/cron/{task}',
      tags,
      summary: 'Remove a task: its timer and directory on the server, then the record',
      security,
      request: { params: taskParam, query: serverQuery },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const { name, task } = c.req.valid('param');
      const server = c.req.valid('query').server;
      return deps.startPlan(c, await prepareCronRemove(c.var.ctx, task, { app: name, ...(server ? { server } : {}) }));
    },
  );
}
