// The shapes the API returns: types only, inferred on the server side from the view schemas its routes
// document (src/core/schemas/views/). They vanish from the bundle; a change there breaks our build.
export type {
  AppBackupList,
  AppCreateRequest,
  AppLogLine,
  AppLogStreamEvent,
  AppView,
  BackupList,
  BackupOverview,
  BackupRunView,
  BackupTargetAddRequest,
  BackupTargetView,
  BackupView,
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
  ProbeResult,
  ProxyRouteView,
  ServerAddRequest,
  ServerRemoved,
  ServerStatusReport,
  ServerView,
  StepStatus,
  TargetAdded,
  TrustResult,
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
