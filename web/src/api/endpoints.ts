// Every API path the dashboard uses, in one place, each with the exact type the API answers with
// (inferred from the route's view schema on the server side): lists are bare arrays, resources bare objects.
import { clearApiKey, getApiKey } from './auth.js';
import { type ApiError, createClient, isApiError } from './client.js';
import type {
  AppAuthBody,
  AppAuthView,
  AppBackupList,
  AppCatalogOutputs,
  AppCatalogStatus,
  AppCreateRequest,
  AppHealthView,
  AppLogLine,
  AppPrivilegesView,
  ApprovalView,
  AppSettingsView,
  AppUpdateRequest,
  AppUpdateResult,
  AppView,
  AuditEntry,
  AuditQuery,
  AuditVerify,
  AuthProvidersView,
  AutoDeployView,
  BackupList,
  BackupOverview,
  BackupTargetAddRequest,
  BackupTargetView,
  CatalogEntryDetail,
  CatalogEntrySummary,
  CatalogInstalled,
  CatalogOutputs,
  CatalogStackView,
  ChannelCreated,
  ChannelView,
  ClusterAppPsView,
  ClusterDetailView,
  ClusterView,
  Credentials,
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
  MeView,
  MonitorTargetView,
  NotifyChannelAddRequest,
  NotifyDeliveryView,
  NotifyTestResult,
  OidcProviderAddRequest,
  OidcProviderView,
  PolicyView,
  PreviewSettingsView,
  PreviewView,
  PrivilegeClass,
  ProbeResult,
  ProxyRouteView,
  RegistryView,
  ServerAddRequest,
  ServerMetricsView,
  ServerRemoved,
  ServerStatusReport,
  ServerView,
  TargetAdded,
  TerminalTicket,
  TokenCreated,
  TokenCreateRequest,
  TokenView,
  TrustResult,
  UserAddRequest,
  UserUpdateRequest,
  UserView,
  WebhookDeliveryView,
  WebhookView,
} from './types.js';

/**
 * 401: the credential is gone (session ended, no key). A 403 may refuse the credential (a wrong key, a revoked
 * token) or only this action (approving one's own request): sign out only when asking who we are fails too.
 */
function onUnauthorized(e: ApiError): void {
  const key = getApiKey();
  if (e.status === 401 || !key) {
    clearApiKey();
    return;
  }
  void api.get('/api/auth/me', { key }).catch((probe: unknown) => {
    if (isApiError(probe) && (probe.status === 401 || probe.status === 403) && getApiKey() === key) clearApiKey();
  });
}

export const api = createClient({ getKey: getApiKey, onUnauthorized });

const e = encodeURIComponent;

export const endpoints = {
  /** Dashboard sign-in with a user name and password: sets the HttpOnly session cookie, answers the CSRF token. */
  login: (username: string, password: string) =>
    api.post<{ name: string; role: string | null; csrfToken: string }>(
      '/api/auth/login',
      { username, password },
      { key: '' },
    ),
  logout: () => api.post<{ ended: number }>('/api/auth/logout', {}),
  /** The login page's sign-in options (identity providers), asked without credentials. */
  authProviders: (signal?: AbortSignal) =>
    api.get<AuthProvidersView>('/api/auth/providers', signal ? { signal, key: '' } : { key: '' }),
  /** The session cookie alone (after an identity provider sent the browser back): who signed in, and the CSRF token. */
  sessionProbe: (signal?: AbortSignal) => api.get<MeView>('/api/auth/me', signal ? { signal, key: '' } : { key: '' }),
  dashboard: (signal?: AbortSignal, key?: string) =>
    api.get<DashboardView>('/api/dashboard', key === undefined ? { signal } : { signal, key }),

  servers: (signal?: AbortSignal) => api.get<ServerView[]>('/api/servers', { signal }),
  clusters: (signal?: AbortSignal) => api.get<ClusterView[]>('/api/clusters', { signal }),
  cluster: (name: string, signal?: AbortSignal) => api.get<ClusterDetailView>(`/api/clusters/${e(name)}`, { signal }),
  appPs: (name: string, signal?: AbortSignal) => api.get<ClusterAppPsView>(`/api/apps/${e(name)}/ps`, { signal }),
  server: (name: string, signal?: AbortSignal) => api.get<ServerView>(`/api/servers/${e(name)}`, { signal }),
  addServer: (body: ServerAddRequest) => api.post<ServerView>('/api/servers', body),
  addEdgeServer: (body: EdgeServerAddRequest) => api.post<EdgeServerAdded>('/api/edge/servers', body),
  /** Certificates (ACME e-mail, private CA and its root), pull policy, private git hosts: local state only. */
  setServerSettings: (
    name: string,
    body: { acmeEmail?: string | null; acmeCa?: string | null; acmeCaRoot?: string | null },
  ) => api.patch<ServerView>(`/api/servers/${e(name)}/settings`, body),
  removeServer: (name: string, force = false) =>
    api.del<ServerRemoved>(`/api/servers/${e(name)}${force ? '?force=true' : ''}`),
  testServer: (name: string) => api.post<ProbeResult>(`/api/servers/${e(name)}/test`),
  trustServer: (name: string, fingerprint: string) =>
    api.post<TrustResult>(`/api/servers/${e(name)}/trust`, { fingerprint }),
  provisionServer: (name: string) => api.post<JobAccepted>(`/api/servers/${e(name)}/provision`),
  /** Live metrics and containers in one SSH round trip. */
  serverStatus: (name: string, signal?: AbortSignal) =>
    api.get<ServerStatusReport>(`/api/servers/${e(name)}/status`, { signal }),
  registries: (server: string, signal?: AbortSignal) =>
    api.get<RegistryView[]>(`/api/servers/${e(server)}/registries`, { signal }),
  /** A job: `docker login --password-stdin` on the server; stored only when the login worked. */
  addRegistry: (server: string, body: { host: string; username: string; password: string }) =>
    api.post<JobAccepted>(`/api/servers/${e(server)}/registries`, body),
  removeRegistry: (server: string, host: string) =>
    api.del<JobAccepted>(`/api/servers/${e(server)}/registries/${e(host)}`),
  proxyRoutes: (server: string, signal?: AbortSignal) =>
    api.get<ProxyRouteView[]>(`/api/servers/${e(server)}/proxy/routes`, { signal }),

  apps: (signal?: AbortSignal) => api.get<AppView[]>('/api/apps', { signal }),
  app: (name: string, signal?: AbortSignal) => api.get<AppView>(`/api/apps/${e(name)}`, { signal }),
  createApp: (body: AppCreateRequest) => api.post<AppView>('/api/apps', body),
  appSettings: (name: string, signal?: AbortSignal) =>
    api.get<AppSettingsView>(`/api/apps/${e(name)}/settings`, { signal }),
  /** 200 with the result when nothing needs the server; 202 + job when routes change on a deployed app. */
  updateApp: (name: string, body: AppUpdateRequest) =>
    api.patch<AppUpdateResult | JobAccepted>(`/api/apps/${e(name)}`, body),
  /** Admins: the privileged compose options non-admin deploys of the app may use (replaces the list). */
  setAppPrivileges: (name: string, allow: PrivilegeClass[]) =>
    api.put<AppPrivilegesView>(`/api/apps/${e(name)}/privileges`, { allow }),
  deployKey: (name: string, rotate = false) =>
    rotate
      ? api.post<DeployKeyView>(`/api/apps/${e(name)}/deploy-key`)
      : api.get<DeployKeyView>(`/api/apps/${e(name)}/deploy-key`),
  deployApp: (name: string) => api.post<JobAccepted>(`/api/apps/${e(name)}/deploy`),
  stopApp: (name: string) => api.post<JobAccepted>(`/api/apps/${e(name)}/stop`),
  restartApp: (name: string) => api.post<JobAccepted>(`/api/apps/${e(name)}/restart`),
  destroyApp: (name: string) => api.del<JobAccepted>(`/api/apps/${e(name)}`),
  rollbackApp: (name: string, release?: number) =>
    api.post<JobAccepted>(`/api/apps/${e(name)}/rollback`, release === undefined ? {} : { release }),
  deployments: (name: string, signal?: AbortSignal) =>
    api.get<DeploymentView[]>(`/api/apps/${e(name)}/deployments`, { signal }),
  appLogs: (name: string, lines: number, signal?: AbortSignal) =>
    api.get<AppLogLine[]>(`/api/apps/${e(name)}/logs?lines=${lines}`, { signal }),
  appLogStreamPath: (name: string, lines = 200) => `/api/apps/${e(name)}/logs/stream?lines=${lines}`,

  env: (app: string, signal?: AbortSignal) => api.get<EnvEntry[]>(`/api/apps/${e(app)}/env`, { signal }),
  setEnv: (app: string, vars: Record<string, string>) => api.put<EnvSetResult>(`/api/apps/${e(app)}/env`, { vars }),
  deleteEnv: (app: string, key: string) => api.del<EnvDeleted>(`/api/apps/${e(app)}/env/${e(key)}`),
  revealEnv: (app: string, key: string) => api.post<EnvValue>(`/api/apps/${e(app)}/env/${e(key)}/reveal`),
  pushEnv: (app: string) => api.post<JobAccepted>(`/api/apps/${e(app)}/env/push`),
  importEnv: (app: string, dotenv: string, replace: boolean) =>
    api.post<EnvImportResult>(`/api/apps/${e(app)}/env/import`, { dotenv, replace }),
  exportEnv: (app: string) => api.post<EnvExport>(`/api/apps/${e(app)}/env/export`),

  cronTasks: (app: string, signal?: AbortSignal) => api.get<CronTaskView[]>(`/api/apps/${e(app)}/cron`, { signal }),
  addCronTask: (
    app: string,
    body: { name: string; schedule: string; command: string[]; timeoutSeconds?: number; service?: string },
  ) => api.post<JobAccepted>(`/api/apps/${e(app)}/cron`, body),
  runCronTask: (app: string, task: string) => api.post<JobAccepted>(`/api/apps/${e(app)}/cron/${e(task)}/run`),
  removeCronTask: (app: string, task: string) => api.del<JobAccepted>(`/api/apps/${e(app)}/cron/${e(task)}`),
  appTerminal: (app: string, size: { cols: number; rows: number }) =>
    api.post<TerminalTicket>(`/api/apps/${e(app)}/terminal`, { mode: 'shell', ...size }),
  serverTerminal: (server: string, size: { cols: number; rows: number }) =>
    api.post<TerminalTicket>(`/api/servers/${e(server)}/terminal`, size),
  execInApp: (app: string, body: { command: string[]; mode: 'exec' | 'run' }) =>
    api.post<JobAccepted>(`/api/apps/${e(app)}/exec`, body),

  databases: (signal?: AbortSignal) => api.get<DatabaseView[]>('/api/databases', { signal }),
  createDatabase: (body: DatabaseCreateRequest) => api.post<JobAccepted>('/api/databases', body),
  /** The connection strings of a database created by this job: answered once, then forgotten by the API. */
  claimCredentials: (jobId: string) => api.post<Credentials>(`/api/jobs/${e(jobId)}/credentials`),
  destroyDatabase: (name: string) => api.del<JobAccepted>(`/api/databases/${e(name)}`),
  backups: (name: string, signal?: AbortSignal) => api.get<BackupList>(`/api/databases/${e(name)}/backups`, { signal }),
  runBackup: (name: string, target?: string) =>
    api.post<JobAccepted>(`/api/databases/${e(name)}/backups`, target ? { target } : {}),
  restoreBackup: (name: string, backup: string) =>
    api.post<JobAccepted>(`/api/databases/${e(name)}/restore`, { backup }),
  dbSnapshots: (name: string, target: string, signal?: AbortSignal) =>
    api.get<DbSnapshotList>(`/api/databases/${e(name)}/snapshots?target=${e(target)}`, { signal }),
  restoreFromTarget: (name: string, target: string, snapshot: string) =>
    api.post<JobAccepted>(`/api/databases/${e(name)}/restore`, { fromTarget: target, snapshot }),

  backupOverview: (signal?: AbortSignal) => api.get<BackupOverview>('/api/backups/overview', { signal }),
  backupTargets: (signal?: AbortSignal) => api.get<BackupTargetView[]>('/api/backup-targets', { signal }),
  addBackupTarget: (body: BackupTargetAddRequest) => api.post<TargetAdded>('/api/backup-targets', body),
  removeBackupTarget: (name: string) => api.del<{ name: string; location: string }>(`/api/backup-targets/${e(name)}`),
  testBackupTarget: (name: string) => api.post<JobAccepted>(`/api/backup-targets/${e(name)}/test`),
  verifyBackupTarget: (name: string, readDataSubset?: string) =>
    api.post<JobAccepted>(`/api/backup-targets/${e(name)}/verify`, readDataSubset ? { readDataSubset } : {}),
  appBackups: (name: string, signal?: AbortSignal) =>
    api.get<AppBackupList>(`/api/apps/${e(name)}/backups`, { signal }),
  runAppBackup: (name: string, target?: string) =>
    api.post<JobAccepted>(`/api/apps/${e(name)}/backups`, target ? { target } : {}),
  restoreApp: (name: string, snapshot: string, fromTarget?: string | null) =>
    api.post<JobAccepted>(`/api/apps/${e(name)}/restore`, fromTarget ? { snapshot, fromTarget } : { snapshot }),

  catalog: (signal?: AbortSignal) => api.get<CatalogEntrySummary[]>('/api/catalog', { signal }),
  catalogEntry: (id: string, signal?: AbortSignal) => api.get<CatalogEntryDetail>(`/api/catalog/${e(id)}`, { signal }),
  installCatalog: (id: string, body: Record<string, unknown>) =>
    api.post<JobAccepted>(`/api/catalog/${e(id)}/install`, body),
  catalogStacks: (signal?: AbortSignal) => api.get<CatalogStackView[]>('/api/catalog/stacks', { signal }),
  catalogInstalled: (signal?: AbortSignal) => api.get<CatalogInstalled[]>('/api/catalog/installed', { signal }),
  /** A host entry runs its uninstall script; an app is destroyed (named volumes kept). */
  uninstallCatalog: (i: Pick<CatalogInstalled, 'name' | 'kind' | 'server'>) =>
    api.del<JobAccepted>(
      `/api/catalog/installed/${e(i.name)}?${new URLSearchParams({ server: i.server, kind: i.kind }).toString()}`,
    ),
  installStack: (name: string, body: { server: string; prefix?: string; values: Record<string, string> }) =>
    api.post<JobAccepted>(`/api/catalog/stacks/${e(name)}/install`, body),
  appAuth: (name: string, signal?: AbortSignal) => api.get<AppAuthView>(`/api/apps/${e(name)}/auth`, { signal }),
  /** 202 + job when the app has a route (Caddy reloaded), else 200: stored for the next deploy. */
  setAppAuth: (name: string, body: AppAuthBody) =>
    api.put<JobAccepted | AppAuthView>(`/api/apps/${e(name)}/auth`, body),
  appCatalog: (name: string, signal?: AbortSignal) =>
    api.get<AppCatalogStatus>(`/api/apps/${e(name)}/catalog`, { signal }),
  upgradeCatalogApp: (name: string, to: string) =>
    api.post<JobAccepted>(`/api/apps/${e(name)}/catalog-upgrade`, { to }),
  /** An installed app's outputs at any time: secret values null until revealed (an explicit, audited POST). */
  appCatalogOutputs: (name: string, signal?: AbortSignal) =>
    api.get<AppCatalogOutputs>(`/api/apps/${e(name)}/catalog/outputs`, { signal }),
  revealAppCatalogOutputs: (name: string) => api.post<AppCatalogOutputs>(`/api/apps/${e(name)}/catalog/outputs/reveal`),
  /** URLs, admin users and generated passwords of an install: answered once, then forgotten by the API. */
  claimCatalogOutputs: (jobId: string) => api.post<CatalogOutputs>(`/api/catalog/installs/${e(jobId)}/outputs`),

  webhook: (app: string, signal?: AbortSignal) => api.get<WebhookView>(`/api/apps/${e(app)}/webhook`, { signal }),
  enableWebhook: (app: string) => api.post<WebhookView>(`/api/apps/${e(app)}/webhook`, {}),
  /** The secret, on purpose (the API records the reveal in the audit log). */
  revealWebhook: (app: string) => api.post<WebhookView>(`/api/apps/${e(app)}/webhook/reveal`),
  rotateWebhook: (app: string) => api.post<WebhookView>(`/api/apps/${e(app)}/webhook/rotate`),
  disableWebhook: (app: string) => api.del<{ app: string; disabled: true }>(`/api/apps/${e(app)}/webhook`),
  webhookDeliveries: (app: string, signal?: AbortSignal) =>
    api.get<WebhookDeliveryView[]>(`/api/apps/${e(app)}/webhook/deliveries?limit=30`, { signal }),
  previews: (app: string, signal?: AbortSignal) => api.get<PreviewView[]>(`/api/apps/${e(app)}/previews`, { signal }),
  previewSettings: (app: string, signal?: AbortSignal) =>
    api.get<PreviewSettingsView>(`/api/apps/${e(app)}/previews/settings`, { signal }),
  autoDeploy: (app: string, signal?: AbortSignal) =>
    api.get<AutoDeployView>(`/api/apps/${e(app)}/auto-deploy`, { signal }),
  appHealth: (app: string, signal?: AbortSignal) => api.get<AppHealthView>(`/api/apps/${e(app)}/health`, { signal }),
  serverMetrics: (server: string, signal?: AbortSignal) =>
    api.get<ServerMetricsView>(`/api/servers/${e(server)}/metrics`, { signal }),
  monitoring: (signal?: AbortSignal) => api.get<MonitorTargetView[]>('/api/monitoring', { signal }),
  notifyChannels: (signal?: AbortSignal) => api.get<ChannelView[]>('/api/notify/channels', { signal }),
  addNotifyChannel: (body: NotifyChannelAddRequest) => api.post<ChannelCreated>('/api/notify/channels', body),
  testNotifyChannel: (name: string) => api.post<NotifyTestResult>(`/api/notify/channels/${e(name)}/test`),
  removeNotifyChannel: (name: string) => api.del<{ name: string; removed: true }>(`/api/notify/channels/${e(name)}`),
  notifyDeliveries: (signal?: AbortSignal) =>
    api.get<NotifyDeliveryView[]>('/api/notify/deliveries?limit=50', { signal }),

  /** Who this browser is signed in as: kind, level (read/deploy/admin), role and limits. */
  me: (signal?: AbortSignal) => api.get<MeView>('/api/auth/me', { signal }),
  /** End every session of the signed-in user, on every browser. */
  logoutAll: () => api.post<{ ok: true; sessionsEnded?: number }>('/api/auth/logout-all', {}),

  users: (signal?: AbortSignal) => api.get<UserView[]>('/api/users', { signal }),
  addUser: (body: UserAddRequest) => api.post<UserView>('/api/users', body),
  updateUser: (name: string, body: UserUpdateRequest) => api.patch<UserView>(`/api/users/${e(name)}`, body),
  removeUser: (name: string) => api.del<{ removed: string }>(`/api/users/${e(name)}`),
  setUserPassword: (name: string, password: string) =>
    api.put<{ user: string; sessionsEnded: number }>(`/api/users/${e(name)}/password`, { password }),

  /** Sign-in providers (admin): never their client secrets. */
  oidcProviders: (signal?: AbortSignal) => api.get<OidcProviderView[]>('/api/oidc/providers', { signal }),
  /** The server reads the issuer's discovery document first: a bad issuer is refused with the reason. */
  addOidcProvider: (body: OidcProviderAddRequest) => api.post<OidcProviderView>('/api/oidc/providers', body),
  removeOidcProvider: (name: string) => api.del<{ removed: string }>(`/api/oidc/providers/${e(name)}`),

  tokens: (signal?: AbortSignal) => api.get<TokenView[]>('/api/tokens', { signal }),
  /** The answer carries the token's secret: this once, never again. */
  createToken: (body: TokenCreateRequest) => api.post<TokenCreated>('/api/tokens', body),
  revokeToken: (name: string) => api.del<TokenView>(`/api/tokens/${e(name)}`),

  audit: (query: AuditQuery, signal?: AbortSignal) => {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') qs.set(k, String(v));
    return api.get<AuditEntry[]>(`/api/audit${qs.size ? `?${qs}` : ''}`, { signal });
  },
  auditVerify: (signal?: AbortSignal) => api.get<AuditVerify>('/api/audit/verify', { signal }),

  approvals: (all: boolean, signal?: AbortSignal) =>
    api.get<ApprovalView[]>(`/api/approvals${all ? '?all=true' : ''}`, { signal }),
  /** 202: approved and queued; the job runs now (its id is the request's). */
  approve: (id: string, comment?: string) =>
    api.post<JobAccepted>(`/api/approvals/${e(id)}/approve`, comment ? { comment } : {}),
  reject: (id: string, comment?: string) =>
    api.post<JobRecord>(`/api/approvals/${e(id)}/reject`, comment ? { comment } : {}),
  policies: (signal?: AbortSignal) => api.get<PolicyView[]>('/api/policies', { signal }),
  setPolicy: (body: { operation: string; serverLabel?: string | null; expires?: string }) =>
    api.put<PolicyView>('/api/policies', body),
  unsetPolicy: (operation: string, serverLabel: string | null) => {
    const qs = new URLSearchParams({ operation });
    if (serverLabel) qs.set('serverLabel', serverLabel);
    return api.del<{ removed: string; serverLabel: string | null }>(`/api/policies?${qs}`);
  },

  jobs: (signal?: AbortSignal) => api.get<JobRecord[]>('/api/jobs?limit=100', { signal }),
  job: (id: string, signal?: AbortSignal) => api.get<JobRecord>(`/api/jobs/${e(id)}`, { signal }),
  jobLogs: (id: string, signal?: AbortSignal) => api.get<JobLogLine[]>(`/api/jobs/${e(id)}/logs`, { signal }),
  cancelJob: (id: string) => api.post<JobRecord>(`/api/jobs/${e(id)}/cancel`),
  jobEventsPath: (id: string) => `/api/jobs/${e(id)}/events`,
};
