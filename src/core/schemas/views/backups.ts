import { z } from 'zod';

/** The last `backup-target test|verify` of a target. */
export const targetCheckSchema = z.object({
  kind: z.enum(['test', 'verify']),
  at: z.string(),
  status: z.enum(['ok', 'failed']),
  message: z.string(),
  server: z.string(),
});
export type TargetCheck = z.infer<typeof targetCheckSchema>;

/** An off-site restic target, without any secret. */
export const backupTargetViewSchema = z
  .object({
    name: z.string(),
    kind: z.enum(['sftp', 's3']),
    /** e.g. `sftp:backup@nas:/srv/restic` or `s3:https://s3.example.com/bucket/prefix`. */
    location: z.string(),
    /** SFTP: the pinned host key's fingerprint (null until first contact). */
    hostKeyFingerprint: z.string().nullable(),
    /** S3: the access key id (not a secret). */
    accessKeyId: z.string().nullable(),
    /** SFTP: a private key is stored for the target (else the server's own SSH identity is used). */
    hasKey: z.boolean(),
    lastCheck: targetCheckSchema.nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'BackupTarget' });
export type BackupTargetView = z.infer<typeof backupTargetViewSchema>;

export const targetAddedSchema = z
  .object({
    target: backupTargetViewSchema,
    /** A password was generated (see `backup-target password`), or the given one adopted. */
    passwordGenerated: z.boolean(),
  })
  .meta({ id: 'BackupTargetAdded' });
export type TargetAdded = z.infer<typeof targetAddedSchema>;

export const targetRemovedSchema = z
  .object({ name: z.string(), location: z.string() })
  .meta({ id: 'BackupTargetRemoved' });

/** One backup run infrakt ran (recorded locally). */
export const backupRunViewSchema = z
  .object({
    /** Target name; null = the server's local repository (app volumes). */
    target: z.string().nullable(),
    status: z.enum(['ok', 'failed']),
    snapshotId: z.string().nullable(),
    bytes: z.number().nullable(),
    message: z.string().nullable(),
    jobId: z.string().nullable(),
    at: z.string(),
  })
  .meta({ id: 'BackupRun' });
export type BackupRunView = z.infer<typeof backupRunViewSchema>;

/** The last off-site backup of a database: run by infrakt, or by its schedule (read from the server). */
export const offsiteStatusSchema = z.object({
  status: z.enum(['ok', 'failed', 'unknown']),
  target: z.string().nullable(),
  at: z.string().nullable(),
  snapshotId: z.string().nullable(),
  message: z.string().nullable(),
  by: z.enum(['infrakt', 'schedule']),
});
export type OffsiteStatus = z.infer<typeof offsiteStatusSchema>;

const subjectRuns = { local: backupRunViewSchema.nullable(), offsite: backupRunViewSchema.nullable() };

export const backupOverviewSchema = z
  .object({
    targets: z.array(backupTargetViewSchema),
    databases: z.array(
      z.object({
        name: z.string(),
        server: z.string(),
        type: z.string(),
        scheduleTarget: z.string().nullable(),
        ...subjectRuns,
      }),
    ),
    apps: z.array(z.object({ name: z.string(), server: z.string(), type: z.string(), ...subjectRuns })),
  })
  .meta({ id: 'BackupOverview' });
export type BackupOverview = z.infer<typeof backupOverviewSchema>;

export const appSnapshotViewSchema = z.object({
  id: z.string(),
  shortId: z.string(),
  time: z.string(),
  /** Target name, or null for the server's local repository. */
  target: z.string().nullable(),
  paths: z.array(z.string()),
});
export type AppSnapshotView = z.infer<typeof appSnapshotViewSchema>;

export const appBackupListSchema = z
  .object({
    app: z.string(),
    server: z.string(),
    snapshots: z.array(appSnapshotViewSchema),
    runs: z.array(backupRunViewSchema),
    /** Repositories that could not be read (unreachable target …), with why. */
    errors: z.array(z.object({ target: z.string().nullable(), message: z.string() })),
  })
  .meta({ id: 'AppBackupList' });
export type AppBackupList = z.infer<typeof appBackupListSchema>;

export const dbSnapshotViewSchema = z.object({
  id: z.string(),
  shortId: z.string(),
  time: z.string(),
  host: z.string(),
  /** The dump file it holds, e.g. `20261122T031500Z.dump`. */
  file: z.string().nullable(),
});
export type DbSnapshotView = z.infer<typeof dbSnapshotViewSchema>;

export const dbSnapshotListSchema = z
  .object({ database: z.string(), target: z.string(), snapshots: z.array(dbSnapshotViewSchema) })
  .meta({ id: 'DbSnapshotList' });
export type DbSnapshotList = z.infer<typeof dbSnapshotListSchema>;
