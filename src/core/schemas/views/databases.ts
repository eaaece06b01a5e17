import { z } from 'zod';
import { DB_TYPES } from '../app.js';

/** A backup schedule as installed on the server (systemd timer, or cron where systemd isn't running). */
export const dbScheduleSchema = z.object({
  cron: z.string(),
  onCalendar: z.string(),
  keep: z.number().int(),
  mechanism: z.enum(['systemd', 'cron']),
  unit: z.string(),
  /** Off-site: each scheduled backup is also pushed to this target (restic), with this retention. */
  target: z.string().nullable().optional(),
  retention: z
    .object({
      daily: z.number().int().optional(),
      weekly: z.number().int().optional(),
      monthly: z.number().int().optional(),
    })
    .nullable()
    .optional(),
});
export type DbSchedule = z.infer<typeof dbScheduleSchema>;

export const databaseViewSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    server: z.string(),
    type: z.enum(DB_TYPES),
    version: z.string(),
    image: z.string(),
    /** Host port on the server's 127.0.0.1 (null until created). */
    port: z.number().int().nullable(),
    /** The host name and port for containers on the `infrakt` network. */
    networkHost: z.string(),
    networkPort: z.number().int(),
    status: z.string(),
    schedule: dbScheduleSchema.nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Database' });
export type DatabaseView = z.infer<typeof databaseViewSchema>;

/** Connection strings of a new database (`connectionString`, `networkConnectionString`), handed out once. */
export const credentialsSchema = z
  .record(z.string(), z.string())
  .describe('connectionString / networkConnectionString of a new database: handed out once')
  .meta({ id: 'Credentials' });
export type Credentials = z.infer<typeof credentialsSchema>;

export const backupViewSchema = z.object({
  /** File name, e.g. `20261122T031500Z.dump` (what `db restore` and `--download` take). */
  name: z.string(),
  size: z.number().nullable(),
  sha256: z.string().nullable(),
  createdAt: z.string().nullable(),
  trigger: z.string().nullable(),
  /** Verified when it was taken (the sidecar exists); false for a file without one. */
  verified: z.boolean(),
});
export type BackupView = z.infer<typeof backupViewSchema>;

/** The outcome of the last manual or scheduled backup run, as the backup script records it. */
export const runStatusSchema = z.object({
  trigger: z.enum(['manual', 'schedule']),
  status: z.enum(['ok', 'failed']),
  startedAt: z.string(),
  finishedAt: z.string(),
  message: z.string(),
  file: z.string(),
});
export type RunStatus = z.infer<typeof runStatusSchema>;

export const backupListSchema = z
  .object({
    database: z.string(),
    server: z.string(),
    dir: z.string(),
    backups: z.array(backupViewSchema),
    lastManual: runStatusSchema.nullable(),
    lastScheduled: runStatusSchema.nullable(),
    schedule: dbScheduleSchema.nullable().optional(),
  })
  .meta({ id: 'BackupList' });
export type BackupList = z.infer<typeof backupListSchema>;
