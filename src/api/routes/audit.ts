import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { auditEntrySchema, auditVerifySchema } from '../../core/schemas/views/team.js';
import { listAudit, verifyAudit } from '../../services/audit/audit-log.js';
import { type Api, ERRORS, json, security } from '../route-kit.js';

const tags = ['audit'];

export const auditQuery = z.object({
  actor: z.string().max(200).optional(),
  target: z.string().max(300).optional(),
  action: z.string().max(200).optional(),
  since: z.iso.datetime({ message: 'must be an ISO time such as 2026-01-02T03:04:05Z' }).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});

/** The audit log: every change, who made it, from where, with what result; and its hash chain's check. */
export function auditRoutes(api: Api): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/audit',
      tags,
      summary: 'Audit entries, newest first (actor/target/action exact, or a prefix ending in *)',
      security,
      request: { query: auditQuery },
      responses: { 200: json(z.array(auditEntrySchema), 'Entries'), ...ERRORS },
    }),
    async (c) => c.json(await listAudit(c.var.ctx, c.req.valid('query')), 200),
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/audit/verify',
      tags,
      summary: 'Check the hash chain: the first altered or missing entry, and the head hash',
      security,
      responses: { 200: json(auditVerifySchema, 'Result'), ...ERRORS },
    }),
    async (c) => c.json(await verifyAudit(c.var.ctx), 200),
  );
}
