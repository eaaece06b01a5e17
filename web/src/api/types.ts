// Shapes the API returns. Where a service view exists we import it, so a change there breaks our build.
import type { z } from 'zod';
import type { backupListSchema, credentialsSchema, databaseViewSchema } from '../../../src/api/schemas-db.js';
import type { AppView } from '../../../src/services/apps.js';
import type { AppBackupList } from '../../../src/services/backup-targets/app-restore.js';
import type { DbSnapshotView } from '../../../src/services/backup-targets/db-offsite.js';
import type { BackupOverview } from '../../../src/services/backup-targets/overview.js';
import type { BackupRunView } from '../../../src/services/backup-targets/runs.js';
import type { BackupTargetView } from '../../../src/services/backup-targets/targets.js';
import type { DashboardView } from '../../../src/services/dashboard.js';
import type { EnvEntry } from '../../../src/services/env.js';
import type { JobEvent, JobRecord, JobStatus, JobStep, StepStatus } from '../../../src/services/jobs-types.js';
import type { ProxyRouteView } from '../../../src/services/proxy.js';
import type { DeploymentView } from '../../../src/services/releases.js';
import type { ProbeResult } from '../../../src/services/server-remote.js';
import type { ServerStatusReport } from '../../../src/services/server-status.js';
import type { ServerView } from '../../../src/services/servers.js';

export type {
  AppBackupList,
  AppView,
  BackupOverview,
  BackupRunView,
  BackupTargetView,
  DashboardView,
  DbSnapshotView,
  DeploymentView,
  EnvEntry,
  JobEvent,
  JobRecord,
  JobStatus,
  JobStep,
  ProbeResult,
  ProxyRouteView,
  ServerStatusReport,
  ServerView,
  StepStatus,
};

export interface JobAccepted {
  jobId: string;
}

export interface ServerAddResult {
  server?: ServerView;
  hostKeyFingerprint?: string | null;
  fingerprint?: string | null;
  jobId?: string;
  [k: string]: unknown;
}

export type DatabaseView = z.infer<typeof databaseViewSchema>;
export type BackupList = z.infer<typeof backupListSchema>;
export type BackupView = BackupList['backups'][number];
/** `connectionString` / `networkConnectionString`, handed out once after the create job. */
export type Credentials = z.infer<typeof credentialsSchema>;
