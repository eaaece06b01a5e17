import { z } from 'zod';
import { errorSummarySchema } from './error-summary.js';

/**
 * `approval_pending`: waits for another admin (a policy asked for approval); `rejected`: refused or expired, never
 * ran. The allowed moves between them are one table: core/lifecycle/job-states.ts.
 */
export const JOB_STATUSES = [
  'approval_pending',
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'rejected',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const STEP_STATUSES = [
  'pending',
  'running',
  'succeeded',
  'unchanged',
  'skipped',
  'failed',
  'cancelled',
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export const jobStepSchema = z
  .object({
    idx: z.number().int(),
    name: z.string(),
    status: z.enum(STEP_STATUSES),
    exitCode: z.number().int().nullable(),
    detail: z.string().nullable(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'JobStep' });
export type JobStep = z.infer<typeof jobStepSchema>;

export const jobRecordSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    status: z.enum(JOB_STATUSES),
    target: z.string(),
    serverId: z.number().int().nullable(),
    appId: z.number().int().nullable(),
    actor: z.string(),
    params: z.record(z.string(), z.unknown()),
    result: z.unknown(),
    error: errorSummarySchema.nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    servingAt: z
      .string()
      .nullable()
      .optional()
      .describe('Deploys: when traffic reached the new release (before the previous one was retired)'),
    roundTrips: z
      .number()
      .int()
      .nullable()
      .optional()
      .describe("Round trips to the server the job waited for (its SSH session's count, handshake not included)"),
    sshHandshakes: z.number().int().nullable().optional().describe('SSH handshakes the job made'),
    steps: z.array(jobStepSchema),
    runner: z.string().nullable().optional().describe('Who runs it, e.g. `pid 123 on laptop`; null before it started'),
    cancelRequested: z
      .boolean()
      .optional()
      .describe('A cancel was asked for (by this or another process) and not yet acted on'),
  })
  .meta({ id: 'Job' });
export type JobRecord = z.infer<typeof jobRecordSchema>;

/** A line of a job's log (`GET /api/jobs/{id}/logs`, SSE `log` events, the job runner's log events). */
export const jobLogLineSchema = z
  .object({
    type: z.literal('log'),
    id: z.number().int(),
    stepIdx: z.number().int().nullable(),
    stream: z.enum(['info', 'stdout', 'stderr']),
    line: z.string(),
    ts: z.string(),
  })
  .meta({ id: 'JobLogLine' });
export type JobLogLine = z.infer<typeof jobLogLineSchema>;
export type LogStream = JobLogLine['stream'];

export const jobAcceptedSchema = z
  .object({ jobId: z.string(), job: jobRecordSchema })
  .meta({ id: 'JobAccepted', description: 'A job was started; follow it at Location (/api/jobs/{id}).' });
export type JobAccepted = z.infer<typeof jobAcceptedSchema>;
