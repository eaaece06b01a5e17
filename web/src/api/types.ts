// The shapes the API returns: types only, inferred on the server side from the view schemas its routes
// document (src/core/schemas/views/). They vanish from the bundle; a change there breaks our build.
export type {
  AppBackupList,
  AppCreateRequest,
  AppHealthView,
  AppLogLine,
  AppLogStreamEvent,
  AppSettingsView,
  AppUpdateRequest,
  AppUpdateResult,
  AppView,
  AutoDeployView,
  BackupList,
  BackupOverview,
  BackupRunView,
  BackupTargetAddRequest,
  BackupTargetView,
  BackupView,
  ChannelCreated,
  ChannelView,
  ClusterAppPsView,
  ClusterDetailView,
  ClusterView,
  CountByStatus,
  Credentials,
  CronRun,
  CronTaskView,
  DashboardView,
  DatabaseCreateRequest,
  DatabaseView,
  DbSnapshotList,
  DeployKeyView,
  DeploymentView,
  EdgeServerAdded,
  EdgeServerAddRequest,
  EnvDeleted,
  EnvEntry,
  EnvExport,
  EnvImportResult,
  EnvSetResult,
  EnvValue,
  JobAccepted,
  JobLogLine,
  JobRecord,
  JobStatus,
  JobStep,
  JobStreamEvent,
  MonitorTargetView,
  NotifyChannelAddRequest,
  NotifyDeliveryView,
  NotifyTestResult,
  PreviewSettingsView,
  PreviewView,
  ProbeResult,
  ProxyRouteView,
  RegistryView,
  ServerAddRequest,
  ServerMetricsView,
  ServerRemoved,
  ServerStatusReport,
  ServerView,
  StepStatus,
  TargetAdded,
  TerminalServerMessage,
  TerminalTicket,
  TrustResult,
  WebhookDeliveryView,
  WebhookView,
} from '../../../src/api/types.js';
export type { PrivilegeClass } from '../../../src/core/compose-privileges.js';
export type {
  UserAddInput as UserAddRequest,
  UserUpdateInput as UserUpdateRequest,
} from '../../../src/core/schemas/team.js';
export type { AppAuthBody, AppAuthView, AppPrivilegesView } from '../../../src/core/schemas/views/apps.js';
export type {
  AppCatalogOutputs,
  AppCatalogStatus,
  CatalogInstalled,
} from '../../../src/core/schemas/views/catalog.js';
export type {
  ApprovalView,
  AuditEntry,
  AuditVerify,
  AuthProvidersView,
  MeView,
  OidcProviderView,
  PolicyView,
  TokenCreated,
  TokenView,
  UserView,
} from '../../../src/core/schemas/views/team.js';
export type { OidcProviderAdd as OidcProviderAddRequest } from '../../../src/services/auth/provider-setup.js';
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

/** POST /api/tokens: `expires` as the API takes it (30d, 12h; absent: never). */
export interface TokenCreateRequest {
  name: string;
  scope: 'read' | 'deploy' | 'admin';
  app?: string;
  server?: string;
  expires?: string;
}

/** GET /api/audit filters: actor/target/action exact or a prefix ending in `*`; `since` an ISO time. */
export interface AuditQuery {
  actor?: string;
  target?: string;
  action?: string;
  since?: string;
  limit?: number;
}
