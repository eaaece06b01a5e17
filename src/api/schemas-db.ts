import { z } from 'zod';
import { envKeySchema, nameSchema } from '../core/schemas/common.js';

/** Request bodies of the database routes (their answers are the views of core/schemas/views/databases.ts). */

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
