import { z } from 'zod';
import { JOB_STATUSES } from '../core/jobs.js';
import { appCreateSchema, initSchema, stopTimeoutSchema } from '../core/schemas/app.js';
import { envKeySchema, nameSchema } from '../core/schemas/common.js';
import { proxySettingsSchema, serverAddSchema } from '../core/schemas/server.js';

/**
 * The HTTP framing of the API: the error body, request bodies, path and query parameters. What the routes
 * return are the views of src/core/schemas/views/ (the services' return types are inferred from them).
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
          need: z.enum(['read', 'deploy', 'admin']).optional().describe('FORBIDDEN: the access level the action needs'),
          have: z.enum(['read', 'deploy', 'admin']).optional().describe("FORBIDDEN: the caller's level"),
        })
        .optional(),
    }),
  })
  .meta({ id: 'Error' });

// Request bodies and parameters: the shared core schemas, plus the HTTP framing.
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
    init: initSchema.optional(),
    stopTimeout: stopTimeoutSchema.optional(),
    server: nameSchema.optional(),
  })
  .meta({ id: 'AppUpdate', description: 'The source and runtime of the app; applied by the next deploy' });

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
