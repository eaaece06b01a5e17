// The shapes the API returns: types only, inferred on the server side from the view schemas its routes
// document (src/core/schemas/views/). They vanish from the bundle; a change there breaks our build.
export type {
  AppBackupList,
  AppCreateRequest,
  AppHealthView,
  AppLogLine,
  AppLogStreamEvent,
  AppView,
  AutoDeployView,
  BackupList,
  BackupOverview,
  BackupRunView,
  BackupTargetAddRequest,
  BackupTargetView,
  BackupView,
  ChannelView,
  CountByStatus,
  Credentials,
  DashboardView,
  DatabaseCreateRequest,
  DatabaseView,
  DbSnapshotList,
  DeploymentView,
  EnvDeleted,
  EnvEntry,
  EnvSetResult,
  EnvValue,
  JobAccepted,
  JobLogLine,
  JobRecord,
  JobStatus,
  JobStep,
  JobStreamEvent,
  MonitorTargetView,
  NotifyDeliveryView,
  NotifyTestResult,
  PreviewSettingsView,
  PreviewView,
  ProbeResult,
  ProxyRouteView,
  ServerAddRequest,
  ServerMetricsView,
  ServerRemoved,
  ServerStatusReport,
  ServerView,
  StepStatus,
  TargetAdded,
  TrustResult,
  WebhookDeliveryView,
  WebhookView,
} from '../../../src/api/types.js';
export type { AppAuthBody, AppAuthView } from '../../../src/core/schemas/views/apps.js';
export type { AppCatalogStatus } from '../../../src/core/schemas/views/catalog.js';
export type {
  CatalogEntryDetail,
  CatalogEntrySummary,
  CatalogInputView,
} from '../../../src/services/catalog/catalog-index.js';
export type { StackView as CatalogStackView } from '../../../src/services/catalog/stacks.js';

/** Outputs of a catalog install, handed out once by the API (secrets included). */
export interface CatalogOutputs {
  outputs: { label: string; value: string; secret: boolean }[];
}
