import { z } from 'zod';

const countByStatusSchema = z.object({ total: z.number().int(), byStatus: z.record(z.string(), z.number().int()) });
export type CountByStatus = z.infer<typeof countByStatusSchema>;

const recentDeploymentSchema = z.object({
  id: z.number().int(),
  app: z.string(),
  server: z.string(),
  release: z.number().int(),
  action: z.string(),
  status: z.string(),
  sourceRef: z.string().nullable(),
  triggeredBy: z.string(),
  jobId: z.string().nullable(),
  error: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type RecentDeployment = z.infer<typeof recentDeploymentSchema>;

const failingThingSchema = z.object({
  kind: z.enum(['server', 'app', 'database', 'job']),
  name: z.string(),
  status: z.string(),
  message: z.string().nullable(),
  jobId: z.string().nullable(),
});
export type FailingThing = z.infer<typeof failingThingSchema>;

/** The dashboard's first screen: counts, recent deployments and what is failing, in one request. */
export const dashboardSchema = z
  .object({
    servers: countByStatusSchema,
    apps: countByStatusSchema,
    databases: countByStatusSchema,
    jobs: z.object({ running: z.number().int(), queued: z.number().int(), failedLast24h: z.number().int() }),
    recentDeployments: z.array(recentDeploymentSchema),
    failing: z.array(failingThingSchema),
  })
  .meta({ id: 'Dashboard' });
export type DashboardView = z.infer<typeof dashboardSchema>;
