import { createRoute } from '@hono/zod-openapi';
import { jobAcceptedSchema } from '../../core/schemas/views/jobs.js';
import { type Api, json, REMOTE_ERRORS, type RouteDeps, security } from '../route-kit.js';
import { nameParam, serverQuery } from '../schemas.js';
import { deployBody } from '../schemas-remote.js';

export const accepted = { 202: json(jobAcceptedSchema, 'Job started; follow it at Location (and /events)') };

/** `POST /api/apps/{name}/<verb>`: an app job taking `{ server?, wait? }` (body optional), answered 202 + Location. */
export function appJobRoute(
  api: Api,
  tags: string[],
  path: string,
  summary: string,
  start: (
    c: Parameters<RouteDeps['startPlan']>[0],
    name: string,
    opts: { server?: string; wait?: boolean },
  ) => Promise<never>,
) {
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
      return start(c, c.req.valid('param').name, { server, wait: body.wait });
    },
  );
}
