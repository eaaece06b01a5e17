import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { dashboardSchema } from '../../core/schemas/views/dashboard.js';
import { dashboard } from '../../services/system/dashboard.js';
import { type Api, ERRORS, json, security } from '../route-kit.js';

declare const INFRAKT_VERSION: string;
export const VERSION = typeof INFRAKT_VERSION === 'string' ? INFRAKT_VERSION : 'dev';

export function systemRoutes(api: Api): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/health',
      tags: ['system'],
      summary: 'Liveness check (no credentials needed)',
      security: [],
      responses: {
        200: json(z.object({ ok: z.literal(true), version: z.string() }).meta({ id: 'Health' }), 'Up'),
      },
    }),
    (c) => c.json({ ok: true as const, version: VERSION }, 200),
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/dashboard',
      tags: ['system'],
      summary: 'Counts, recent deployments and failing things (also the login check of the dashboard)',
      security,
      responses: { 200: json(dashboardSchema, 'Overview'), ...ERRORS },
    }),
    async (c) => c.json(await dashboard(c.var.ctx), 200),
  );
}
