/**
 * The API's response shapes, for clients (the dashboard imports these types; no runtime code here).
 * Each is inferred from the view schema the routes document in OpenAPI (src/core/schemas/views/).
 * Lists are bare JSON arrays; single resources are bare objects; errors are ApiErrorBody with the
 * HTTP status of src/api/errors.ts. Jobs: 202 + `Location: /api/jobs/<id>` + JobAccepted.
 */

import type { z } from 'zod';
import type { AppLogLine } from '../core/schemas/views/apps.js';
import type { JobLogLine, JobRecord, JobStep } from '../core/schemas/views/jobs.js';
import type { appCreateBody, appUpdateBody, edgeServerAddBody, serverAddBody } from './schemas.js';
import type { targetAddBody } from './schemas-backups.js';
import type { databaseCreateBody } from './schemas-db.js';

export type { ChannelAddInput as NotifyChannelAddRequest } from '../core/schemas/notifications.js';
export type {
  AppLogLine,
  AppSettingsView,
  AppUpdateResult,
  AppView,
  DeployKeyView,
  DeploymentView,
} from '../core/schemas/views/apps.js';
export type {
  AppBackupList,
  AppSnapshotView,
  BackupOverview,
  BackupRunView,
  BackupTargetView,
  DbSnapshotList,
  DbSnapshotView,
  OffsiteStatus,
  TargetAdded,
  TargetCheck,
} from '../core/schemas/views/backups.js';
export type {
  ClusterAppPsView,
  ClusterDeployResult,
  ClusterDetailView,
  ClusterView,
} from '../core/schemas/views/clusters.js';
export type { CronRun, CronTaskView } from '../core/schemas/views/cron.js';
export type { CountByStatus, DashboardView, FailingThing, RecentDeployment } from '../core/schemas/views/dashboard.js';
export type {
  BackupList,
  BackupView,
  Credentials,
  DatabaseView,
  DbSchedule,
  RunStatus,
} from '../core/schemas/views/databases.js';
export type {
  EnvDeleted,
  EnvEntry,
  EnvExport,
  EnvImportResult,
  EnvSetResult,
  EnvValue,
} from '../core/schemas/views/env.js';
export type {
  JobAccepted,
  JobLogLine,
  JobRecord,
  JobStatus,
  JobStep,
  StepStatus,
} from '../core/schemas/views/jobs.js';
export type { AppHealthView, MonitorTargetView, ServerMetricsView } from '../core/schemas/views/monitoring.js';
export type {
  ChannelCreated,
  ChannelView,
  NotifyDeliveryView,
  NotifyTestResult,
} from '../core/schemas/views/notifications.js';
export type { AutoDeployView } from '../core/schemas/views/polling.js';
export type { PreviewSettingsView, PreviewView } from '../core/schemas/views/previews.js';
export type { CertificateView, ProxyRouteView, ProxySettingsView, ProxyStatus } from '../core/schemas/views/proxy.js';
export type { RegistryView } from '../core/schemas/views/registries.js';
export type {
  ContainerInfo,
  DiskUsage,
  EdgeServerAdded,
  ProbeResult,
  ServerRemoved,
  ServerStatusReport,
  ServerView,
  TrustResult,
} from '../core/schemas/views/servers.js';
export type { TerminalServerMessage, TerminalTicket } from '../core/schemas/views/terminal.js';
export type { WebhookDeliveryView, WebhookView } from '../core/schemas/views/webhooks.js';
export type { ApiErrorBody } from './errors.js';

/** Bodies of the create requests, as a client may send them (before defaults and coercion). */
export type ServerAddRequest = z.input<typeof serverAddBody>;
export type EdgeServerAddRequest = z.input<typeof edgeServerAddBody>;
export type AppCreateRequest = z.input<typeof appCreateBody>;
export type AppUpdateRequest = z.input<typeof appUpdateBody>;
export type DatabaseCreateRequest = z.input<typeof databaseCreateBody>;
export type BackupTargetAddRequest = z.input<typeof targetAddBody>;

/**
 * SSE events of `GET /api/jobs/:id/events` (read with fetch + X-API-Key; resume with `Last-Event-ID`
 * = the `id:` of the last `log` event): `job` first, then `step` / `log` / `status` live, `end` last.
 */
export type JobStreamEvent =
  | { event: 'job'; data: JobRecord }
  | { event: 'step'; data: JobStep }
  | { event: 'log'; id: number; data: JobLogLine }
  | { event: 'status'; data: { status: JobRecord['status']; error: JobRecord['error'] } }
  | { event: 'end'; data: { status: JobRecord['status']; error: JobRecord['error'] } };

/** SSE events of `GET /api/apps/:name/logs/stream` (its lines are AppLogLine, like `GET /api/apps/:name/logs`). */
export type AppLogStreamEvent =
  | { event: 'log'; id: number; data: AppLogLine }
  | { event: 'end'; data: { reason: string } }
  | { event: 'error'; data: { error: { code: string; message: string; hint?: string } } };
