import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { jobRecordSchema } from '../../core/schemas/views/jobs.js';
import { approvalViewSchema } from '../../core/schemas/views/team.js';
import { approveRequest, getApproval, listApprovals, rejectRequest } from '../../services/approvals/approvals.js';
import { claimAndRun } from '../../services/approvals/run-approved.js';
import { type Api, ERRORS, isTrue, json, type RouteDeps, security } from '../route-kit.js';
import { jobIdParam } from '../schemas.js';
import { accepted } from './app-job-route.js';

const tags = ['approvals'];
const decisionBody = {
  content: {
    'application/json': { schema: z.object({ comment: z.string().max(500).optional() }).meta({ id: 'Decision' }) },
  },
  required: false,
};

/** The approval inbox: pending requests with what they would change; another admin approves or rejects. */
export function approvalRoutes(api: Api, deps: RouteDeps): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/approvals',
      tags,
      summary: 'Pending requests (all=true: decided ones too), with the diff of what each would change',
      security,
      request: { query: z.object({ all: z.enum(['true', 'false', '1', '0']).optional() }) },
      responses: { 200: json(z.array(approvalViewSchema), 'Requests'), ...ERRORS },
    }),
    async (c) => c.json(await listApprovals(c.var.ctx, c.var.ctx.jobs, { all: isTrue(c.req.valid('query').all) }), 200),
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/approvals/{id}',
      tags,
      summary: 'One request',
      security,
      request: { params: jobIdParam },
      responses: { 200: json(approvalViewSchema, 'Request'), ...ERRORS },
    }),
    async (c) => c.json(await getApproval(c.var.ctx, c.var.ctx.jobs, c.req.valid('param').id), 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/approvals/{id}/approve',
      tags,
      summary: 'Approve (not your own request): the job is queued and runs now; 202 + Location of the job',
      security,
      request: { params: jobIdParam, body: decisionBody },
      responses: { ...accepted, ...ERRORS },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const ctx = c.var.ctx;
      await approveRequest(ctx, ctx.jobs, id, c.req.valid('json').comment);
      // Run it here; when another worker claimed it first, it runs there.
      await claimAndRun(ctx, id).then(
        (h) => {
          void h?.done.catch(() => undefined);
        },
        (e) => deps.log(`approved request ${id} could not run: ${(e as Error).message}`),
      );
      return deps.accepted(c, id);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/approvals/{id}/reject',
      tags,
      summary: 'Reject: the job ends rejected and never runs',
      security,
      request: { params: jobIdParam, body: decisionBody },
      responses: { 200: json(jobRecordSchema, 'The rejected job'), ...ERRORS },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      return c.json((await rejectRequest(c.var.ctx, c.var.ctx.jobs, id, c.req.valid('json').comment)) as never, 200);
    },
  );
}
