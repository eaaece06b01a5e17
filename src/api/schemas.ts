import { z } from 'zod';
import { appCreateSchema } from '../core/schemas/app.js';
import { envKeySchema, nameSchema } from '../core/schemas/common.js';
import { proxySettingsSchema, serverAddSchema } from '../core/schemas/server.js';
import type { AppView } from '../services/apps.js';
import type { DashboardView } from '../services/dashboard.js';
import type { EnvEntry } from '../services/env.js';
import { JOB_STATUSES, type JobRecord, type JobStep, STEP_STATUSES } from '../services/jobs-types.js';
import type { ServerView } from '../services/servers.js';

/**
 * OpenAPI shapes of what the routes return. They mirror the service view types; the `Same<>`
 * checks at the bottom fail the type check if a view changes and its schema does not.
 */

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      hint: z.string().optional(),
      details: z
        .object({
          issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
          jobId: z.string().optional(),
        })
        .optional(),
    }),
  })
  .meta({ id: 'Error' });

export const serverViewSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    host: z.string(),
    port: z.number().int(),
    user: z.string(),
    keyPath: z.string().nullable(),
    provider: z.string().nullable(),
    root: z.string(),
    status: z.string(),
    hostKeyFingerprint: z.string().nullable(),
    lastCheckedAt: z.string().nullable(),
    lastError: z.string().nullable(),
    appCount: z.number().int(),
    proxy: z.object({
      tls: z.enum(['auto', 'internal', 'off']),
      httpPort: z.number().int(),
      httpsPort: z.number().int(),
      adminAddress: z.string(),
    }),
    createdAt: z.string(),
  })
  .meta({ id: 'Server' });

export const appViewSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    server: z.string(),
    type: z.string(),
    domain: z.string().nullable(),
    port: z.number().int(),
    git: z.string().nullable(),
    branch: z.string().nullable(),
    image: z.string().nullable(),
    status: z.string(),
    currentRelease: z.number().int().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'App' });

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

export const jobErrorSchema = z.object({ code: z.string(), message: z.string(), hint: z.string().optional() });

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
    error: jobErrorSchema.nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    steps: z.array(jobStepSchema),
  })
  .meta({ id: 'Job' });

export const jobLogSchema = z
  .object({
    type: z.literal('log'),
    id: z.number().int(),
    stepIdx: z.number().int().nullable(),
    stream: z.enum(['info', 'stdout', 'stderr']),
    line: z.string(),
    ts: z.string(),
  })
  .meta({ id: 'JobLogLine' });

export const jobAcceptedSchema = z
  .object({ jobId: z.string(), job: jobRecordSchema })
  .meta({ id: 'JobAccepted', description: 'A job was started; follow it at Location (/api/jobs/{id}).' });

export const envEntrySchema = z
  .object({
    key: z.string(),
    value: z.string().describe('Masked (********) unless revealed'),
    updatedAt: z.string(),
  })
  .meta({ id: 'EnvEntry' });

export const envRevealedSchema = z.object({ key: z.string(), value: z.string() }).meta({ id: 'EnvValue' });

// ---- request bodies and parameters (the shared core schemas, plus the HTTP framing) ----

export const nameParam = z.object({ name: nameSchema });
export const envKeyParam = z.object({ name: nameSchema, key: envKeySchema });
export const jobIdParam = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a job id') });
export const serverQuery = z.object({ server: nameSchema.optional() });
export const forceQuery = z.object({ force: z.enum(['true', 'false', '1', '0']).optional() });

export const serverAddBody = serverAddSchema
  .extend({ proxy: proxySettingsSchema.partial().optional() })
  .meta({ id: 'ServerAdd' });
export const appCreateBody = appCreateSchema
  .safeExtend({
    composeFile: z
      .string()
      .max(1_000_000)
      .optional()
      .describe('Content of a compose file (compose apps): stored with the app, validated before saving'),
  })
  .meta({ id: 'AppCreate' });
export const appUpdateBody = z
  .object({
    image: z.string().optional(),
    branch: z.string().optional(),
    composeFile: z.string().max(1_000_000).optional(),
    server: nameSchema.optional(),
  })
  .meta({ id: 'AppUpdate', description: 'The source of the app; applied by the next deploy' });

const envValue = z.string();
export const envSetBody = z
  .object({
    vars: z.record(envKeySchema, envValue).describe('KEY -> value; all validated first, written in one transaction'),
    server: nameSchema.optional(),
  })
  .meta({ id: 'EnvSet' });

export const jobsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).optional(),
  status: z.enum(JOB_STATUSES).optional(),
});
export const logsQuery = z.object({
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(5000).optional(),
});

// ---- compile-time checks that the schemas still describe the service views ----
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same = <T extends true>(_?: T) => undefined;
same<Same<z.infer<typeof serverViewSchema>, ServerView>>();
same<Same<z.infer<typeof appViewSchema>, AppView>>();
same<Same<z.infer<typeof jobStepSchema>, JobStep>>();
same<Same<Omit<z.infer<typeof jobRecordSchema>, 'result'>, Omit<JobRecord, 'result'>>>();
same<Same<Pick<z.infer<typeof envEntrySchema>, 'key' | 'updatedAt'>, Omit<EnvEntry, 'value'>>>();

const countSchema = z.object({ total: z.number().int(), byStatus: z.record(z.string(), z.number().int()) });
export const dashboardSchema = z
  .object({
    servers: countSchema,
    apps: countSchema,
    databases: countSchema,
    jobs: z.object({ running: z.number().int(), queued: z.number().int(), failedLast24h: z.number().int() }),
    recentDeployments: z.array(
      z.object({
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
      }),
    ),
    failing: z.array(
      z.object({
        kind: z.enum(['server', 'app', 'database', 'job']),
        name: z.string(),
        status: z.string(),
        message: z.string().nullable(),
        jobId: z.string().nullable(),
      }),
    ),
  })
  .meta({ id: 'Dashboard' });
same<Same<z.infer<typeof dashboardSchema>, DashboardView>>();
