import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import {
  appHealthViewSchema,
  monitorTargetViewSchema,
  serverMetricsViewSchema,
} from '../../core/schemas/views/monitoring.js';
import { appHealth, monitorOverview, serverMetrics } from '../../services/monitoring/history.js';
import { type Api, ERRORS, json, type RouteDeps, security } from '../route-kit.js';
import { nameParam, serverQuery } from '../schemas.js';

const tags = ['monitoring'];
const hoursQuery = z.object({
  hours: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 7)
    .optional()
    .describe('History window (default 24)'),
});

/** Health monitoring of `infrakt serve` (services/monitoring): states, uptime, response times, metrics history. */
export function monitoringRoutes(api: Api, _deps: RouteDeps): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/monitoring',
      tags,
      summary: 'Every monitored app and server: up/down, since when, uptime over the window',
      security,
      request: { query: hoursQuery },
      responses: { 200: json(z.array(monitorTargetViewSchema), 'Targets'), ...ERRORS },
    }),
    async (c) => c.json(await monitorOverview(c.var.ctx, { hours: c.req.valid('query').hours }), 200),
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/apps/{name}/health',
      tags,
      summary: "An app's health history: state, uptime %, response times of the checks",
      security,
      request: { params: nameParam, query: hoursQuery.extend(serverQuery.shape) },
      responses: { 200: json(appHealthViewSchema, 'Health'), ...ERRORS },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(await appHealth(c.var.ctx, c.req.valid('param').name, { server: q.server, hours: q.hours }), 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/servers/{name}/metrics',
      tags,
      summary: "A server's sampled history: CPU, memory, disk, containers, reachability",
      security,
      request: { params: nameParam, query: hoursQuery },
      responses: { 200: json(serverMetricsViewSchema, 'Metrics'), ...ERRORS },
    }),
    async (c) =>
      c.json(await serverMetrics(c.var.ctx, c.req.valid('param').name, { hours: c.req.valid('query').hours }), 200),
  );
}
