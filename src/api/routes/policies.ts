import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { policyViewSchema } from '../../core/schemas/views/team.js';
import { APPROVAL_OPERATIONS } from '../../services/approvals/diffs.js';
import { listPolicies, setPolicy, unsetPolicy } from '../../services/approvals/policies.js';
import { type Api, ERRORS, json, security } from '../route-kit.js';

const tags = ['approvals'];
const policyKey = z.object({
  operation: z.string().describe(`One of: ${APPROVAL_OPERATIONS.join(', ')}`),
  serverLabel: z.string().max(128).nullable().optional().describe('Only on servers with this label (key=value or key)'),
});

/** Approval policies: which operations need another admin's yes. */
export function policyRoutes(api: Api): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/policies',
      tags,
      summary: 'Operations that need approval',
      security,
      responses: { 200: json(z.array(policyViewSchema), 'Policies'), ...ERRORS },
    }),
    async (c) => c.json(await listPolicies(c.var.ctx), 200),
  );

  api.openapi(
    createRoute({
      method: 'put',
      path: '/api/policies',
      tags,
      summary: 'Require approval for an operation (everywhere, or on servers with a label)',
      security,
      request: {
        body: {
          content: {
            'application/json': {
              schema: policyKey
                .extend({ expires: z.string().optional().describe('Pending requests expire after (24h)') })
                .meta({ id: 'PolicySet' }),
            },
          },
          required: true,
        },
      },
      responses: { 200: json(policyViewSchema, 'Set'), ...ERRORS },
    }),
    async (c) => c.json(await setPolicy(c.var.ctx, c.req.valid('json')), 200),
  );

  api.openapi(
    createRoute({
      method: 'delete',
      path: '/api/policies',
      tags,
      summary: 'Stop requiring approval for an operation',
      security,
      request: { query: policyKey },
      responses: {
        200: json(z.object({ removed: z.string(), serverLabel: z.string().nullable() }), 'Removed'),
        ...ERRORS,
      },
    }),
    async (c) => c.json(await unsetPolicy(c.var.ctx, c.req.valid('query')), 200),
  );
}
