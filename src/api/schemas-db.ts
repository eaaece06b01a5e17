import { z } from 'zod';
import { envKeySchema, nameSchema } from '../core/schemas/common.js';

/** OpenAPI shapes of the database routes (the service views may carry more fields). */

const schedule = z.object({
  cron: z.string(),
  onCalendar: z.string(),
  keep: z.number().int(),
  mechanism: z.string(),
  unit: z.string(),
  target: z.string().nullable().optional(),
  retention: z.record(z.string(), z.number()).nullable().optional(),
});

export const databaseViewSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    server: z.string(),
    type: z.string(),
    version: z.string(),
    image: z.string(),
    port: z.number().int().nullable(),
    networkHost: z.string(),
    networkPort: z.number().int(),
    status: z.string(),
    schedule: schedule.nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })

  .meta({ id: 'Database' });

export const databaseCreateBody = z
  .object({
    server: nameSchema,
    name: nameSchema,
    type: z.enum(['postgres', 'mysql', 'mariadb', 'redis', 'mongo']),
    version: z.string().optional().describe('Image tag, e.g. 16 (default: the engine default)'),
    saveToEnv: nameSchema.optional().describe("Store the connection string in this app's encrypted env instead"),
    envKey: envKeySchema.optional(),
  })
  .meta({ id: 'DatabaseCreate' });

export const credentialsSchema = z
  .record(z.string(), z.string())
  .describe('connectionString / networkConnectionString of a new database: handed out once')
  .meta({ id: 'Credentials' });

const runStatus = z.object({
  trigger: z.string(),
  status: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  message: z.string(),
  file: z.string(),
});

export const backupListSchema = z
  .object({
    database: z.string(),
    server: z.string(),
    dir: z.string(),
    backups: z.array(
      z.object({
        name: z.string(),
        size: z.number().nullable(),
        sha256: z.string().nullable(),
        createdAt: z.string().nullable(),
        trigger: z.string().nullable(),
        verified: z.boolean(),
      }),
    ),
    lastManual: runStatus.nullable(),
    lastScheduled: runStatus.nullable(),
    schedule: schedule.nullable().optional(),
  })

  .meta({ id: 'BackupList' });

const keepN = z.number().int().min(1).max(10_000).optional();
export const backupBody = z
  .object({
    keep: z.number().int().min(0).max(10_000).optional().describe('Prune to this many (0 = keep all)'),
    target: nameSchema.optional().describe('Also push the verified backup to this off-site target'),
    keepDaily: keepN,
    keepWeekly: keepN,
    keepMonthly: keepN,
  })
  .meta({ id: 'Backup' });
export const restoreBody = z
  .object({
    backup: z.string().min(1).max(128).optional().describe('A file name from GET …/backups'),
    fromTarget: nameSchema.optional().describe('Or: fetch it from this off-site target (verified first)'),
    snapshot: z
      .string()
      .regex(/^[0-9a-f]{8,64}$/)
      .optional()
      .describe('With fromTarget: the snapshot (default: the newest of this database)'),
  })
  .meta({ id: 'Restore' });
export const scheduleBody = z
  .object({
    cron: z.string().max(128).nullable().describe('5-field cron expression; null removes the schedule'),
    keep: z.number().int().min(1).max(10_000).optional(),
    target: nameSchema.optional().describe('Each scheduled backup is also pushed to this target'),
    keepDaily: keepN,
    keepWeekly: keepN,
    keepMonthly: keepN,
  })
  .meta({ id: 'BackupSchedule' });
