import { z } from 'zod';

const state = z.enum(['unknown', 'up', 'down']);

export const appHealthViewSchema = z
  .object({
    app: z.string(),
    server: z.string(),
    watched: z.boolean().describe('Deployed, with a domain, not stopped: checked by infrakt serve'),
    url: z.string().nullable(),
    state,
    since: z.string().nullable(),
    checkedAt: z.string().nullable(),
    lastError: z.string().nullable(),
    windowHours: z.number(),
    uptimePercent: z.number().nullable(),
    avgResponseMs: z.number().nullable(),
    samples: z.array(
      z.object({
        ts: z.string(),
        ok: z.boolean(),
        ms: z.number().int().nullable(),
        status: z.number().int().nullable(),
        error: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'AppHealth' });
export type AppHealthView = z.infer<typeof appHealthViewSchema>;

export const serverMetricsViewSchema = z
  .object({
    server: z.string(),
    state,
    since: z.string().nullable(),
    checkedAt: z.string().nullable(),
    lastError: z.string().nullable(),
    alarms: z.object({ disk: z.boolean(), memory: z.boolean() }),
    windowHours: z.number(),
    uptimePercent: z.number().nullable().describe('Share of checks that reached the server over SSH'),
    samples: z.array(
      z.object({
        ts: z.string(),
        cpuPercent: z.number().nullable(),
        load1: z.number().nullable(),
        memPercent: z.number().nullable(),
        diskPercent: z.number().nullable(),
        containers: z.number().int().nullable(),
      }),
    ),
  })
  .meta({ id: 'ServerMetrics' });
export type ServerMetricsView = z.infer<typeof serverMetricsViewSchema>;

export const monitorTargetViewSchema = z
  .object({
    kind: z.enum(['app', 'server']),
    name: z.string(),
    server: z.string(),
    state,
    since: z.string().nullable(),
    checkedAt: z.string().nullable(),
    lastError: z.string().nullable(),
    uptimePercent: z.number().nullable(),
  })
  .meta({ id: 'MonitorTarget' });
export type MonitorTargetView = z.infer<typeof monitorTargetViewSchema>;
