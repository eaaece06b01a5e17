import { z } from 'zod';

/** The last run of a scheduled task, as its runner recorded it on the server. */
export const cronRunSchema = z
  .object({
    status: z.enum(['ok', 'failed', 'never', 'unknown']).describe('unknown: the server could not be read'),
    exitCode: z.number().int().nullable(),
    trigger: z.string().nullable().describe('timer or manual (cron run)'),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    durationMs: z.number().int().nullable(),
    release: z.number().int().nullable().describe('the release the run used'),
    message: z.string().nullable(),
    logTail: z.string().describe('the last lines of its output'),
  })
  .meta({ id: 'CronRun' });
export type CronRun = z.infer<typeof cronRunSchema>;

export const cronTaskViewSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    app: z.string(),
    server: z.string(),
    schedule: z.string().describe('5-field cron expression'),
    onCalendar: z.string().describe('the systemd OnCalendar equivalent'),
    command: z.array(z.string()),
    service: z.string().nullable(),
    timeoutSeconds: z.number().int(),
    mechanism: z.enum(['systemd', 'cron']),
    unit: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    last: cronRunSchema.nullable().describe('null when not read from the server'),
  })
  .meta({ id: 'CronTask' });
export type CronTaskView = z.infer<typeof cronTaskViewSchema>;
