import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { nameSchema } from '../../core/schemas/common.js';
import { prepareOneOffJob } from '../../services/apps/app-exec.js';
import { type Api, REMOTE_ERRORS, type RouteDeps, security } from '../route-kit.js';
import { nameParam } from '../schemas.js';
import { accepted } from './app-job-route.js';

const tags = ['apps'];

export const appExecBody = z
  .object({
    command: z
      .array(z.string().max(16_384))
      .min(1)
      .max(512)
      .describe('The program and its arguments, passed as they are (no shell unless you name one)'),
    mode: z
      .enum(['exec', 'run'])
      .optional()
      .describe('exec (default): in the running container; run: a one-off container of the release, removed after'),
    service: z.string().max(63).optional().describe('Another service of a compose app'),
    server: nameSchema.optional(),
    timeoutMs: z.number().int().min(1000).max(3_600_000).optional(),
  })
  .meta({ id: 'AppExec' });

/** `app exec` / `app run` as jobs (services/apps/app-exec); interactive sessions use the terminal WebSocket. */
export function appExecRoutes(api: Api, deps: RouteDeps): void {
  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/apps/{name}/exec',
      tags,
      summary: 'Run a command in the current release as a job; output in the job log, exit status in its result',
      security,
      request: {
        params: nameParam,
        body: { content: { 'application/json': { schema: appExecBody } }, required: true },
      },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const plan = await prepareOneOffJob(c.var.ctx, c.req.valid('param').name, b.mode ?? 'exec', {
        command: b.command,
        ...(b.server ? { server: b.server } : {}),
        ...(b.service ? { service: b.service } : {}),
        ...(b.timeoutMs ? { timeoutMs: b.timeoutMs } : {}),
      });
      return deps.startPlan(c, plan);
    },
  );
}
