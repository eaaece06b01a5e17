// Every API path the dashboard uses, in one place: aligning with the API is a one-file change.
import { clearApiKey, getApiKey } from './auth.js';
import { createClient } from './client.js';
import type {
  AppBackupList,
  AppView,
  BackupList,
  BackupOverview,
  BackupTargetView,
  Credentials,
  DashboardView,
  DatabaseView,
  DbSnapshotView,
  DeploymentView,
  EnvEntry,
  JobAccepted,
  JobRecord,
  ProbeResult,
  ProxyRouteView,
  ServerAddResult,
  ServerStatusReport,
  ServerView,
} from './types.js';

export const api = createClient({ getKey: getApiKey, onUnauthorized: () => clearApiKey() });

const e = encodeURIComponent;

/** Lists may come bare or wrapped (`{ servers: [...] }`, `{ items: [...] }`); accept both. */
export function unwrapList<T>(body: unknown, key: string): T[] {
  if (Array.isArray(body)) return body as T[];
  if (body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    for (const k of [key, 'items', 'data']) if (Array.isArray(o[k])) return o[k] as T[];
  }
  return [];
}

/** A single resource may come bare or wrapped (`{ server: {...} }`). */
export function unwrapOne<T>(body: unknown, key: string): T {
  if (body && typeof body === 'object' && key in (body as object)) {
    const inner = (body as Record<string, unknown>)[key];
    if (inner && typeof inner === 'object' && !Array.isArray(inner)) return inner as T;
  }
  return body as T;
}

const list =
  <T>(path: string, key: string) =>
  async (signal?: AbortSignal) =>
    unwrapList<T>(await api.get<unknown>(path, { signal }), key);

export const endpoints = {
  dashboard: (signal?: AbortSignal, key?: string) =>
    api.get<DashboardView>('/api/dashboard', key === undefined ? { signal } : { signal, key }),

  servers: list<ServerView>('/api/servers', 'servers'),
  server: async (name: string, signal?: AbortSignal) =>
    unwrapOne<ServerView>(await api.get<unknown>(`/api/servers/${e(name)}`, { signal }), 'server'),
  addServer: (body: Record<string, unknown>) => api.post<ServerAddResult>('/api/servers', body),
  removeServer: (name: string, force = false) =>
    api.del<unknown>(`/api/servers/${e(name)}${force ? '?force=true' : ''}`),
  testServer: (name: string) => api.post<ProbeResult>(`/api/servers/${e(name)}/test`),
  trustServer: (name: string, fingerprint: string) =>
    api.post<unknown>(`/api/servers/${e(name)}/trust`, { fingerprint }),
  provisionServer: (name: string) => api.post<JobAccepted>(`/api/servers/${e(name)}/provision`),
  /** Live metrics and containers in one SSH round trip. */
  serverStatus: (name: string, signal?: AbortSignal) =>
    api.get<ServerStatusReport>(`/api/servers/${e(name)}/status`, { signal }),
  proxyRoutes: (server: string, signal?: AbortSignal) =>
    list<ProxyRouteView>(`/api/servers/${e(server)}/proxy/routes`, 'routes')(signal),

  apps: list<AppView>('/api/apps', 'apps'),
  app: async (name: string, signal?: AbortSignal) =>
    unwrapOne<AppView>(await api.get<unknown>(`/api/apps/${e(name)}`, { signal }), 'app'),
  createApp: (body: Record<string, unknown>) => api.post<unknown>('/api/apps', body),
  deployApp: (name: string) => api.post<JobAccepted>(`/api/apps/${e(name)}/deploy`),
  stopApp: (name: string) => api.post<JobAccepted>(`/api/apps/${e(name)}/stop`),
  restartApp: (name: string) => api.post<JobAccepted>(`/api/apps/${e(name)}/restart`),
  destroyApp: (name: string) => api.del<JobAccepted>(`/api/apps/${e(name)}`),
  rollbackApp: (name: string, release?: number) =>
    api.post<JobAccepted>(`/api/apps/${e(name)}/rollback`, release === undefined ? {} : { release }),
  deployments: (name: string, signal?: AbortSignal) =>
    list<DeploymentView>(`/api/apps/${e(name)}/deployments`, 'deployments')(signal),
  appLogs: (name: string, lines: number, signal?: AbortSignal) =>
    api.get<unknown>(`/api/apps/${e(name)}/logs?lines=${lines}`, { signal }),
  appLogStreamPath: (name: string, lines = 200) => `/api/apps/${e(name)}/logs/stream?lines=${lines}`,

  env: (app: string, signal?: AbortSignal) => list<EnvEntry>(`/api/apps/${e(app)}/env`, 'env')(signal),
  setEnv: (app: string, vars: Record<string, string>) => api.put<unknown>(`/api/apps/${e(app)}/env`, { vars }),
  deleteEnv: (app: string, key: string) => api.del<unknown>(`/api/apps/${e(app)}/env/${e(key)}`),
  revealEnv: (app: string, key: string) =>
    api.post<{ key: string; value: string }>(`/api/apps/${e(app)}/env/${e(key)}/reveal`),
  pushEnv: (app: string) => api.post<JobAccepted>(`/api/apps/${e(app)}/env/push`),

  databases: list<DatabaseView>('/api/databases', 'databases'),
  createDatabase: (body: Record<string, unknown>) => api.post<JobAccepted>('/api/databases', body),
  /** The connection strings of a database created by this job: answered once, then forgotten by the API. */
  claimCredentials: (jobId: string) => api.post<Credentials>(`/api/jobs/${e(jobId)}/credentials`),
  destroyDatabase: (name: string) => api.del<JobAccepted>(`/api/databases/${e(name)}`),
  backups: (name: string, signal?: AbortSignal) => api.get<BackupList>(`/api/databases/${e(name)}/backups`, { signal }),
  runBackup: (name: string, target?: string) =>
    api.post<JobAccepted>(`/api/databases/${e(name)}/backups`, target ? { target } : {}),
  restoreBackup: (name: string, backup: string) =>
    api.post<JobAccepted>(`/api/databases/${e(name)}/restore`, { backup }),
  dbSnapshots: (name: string, target: string, signal?: AbortSignal) =>
    api.get<{ database: string; target: string; snapshots: DbSnapshotView[] }>(
      `/api/databases/${e(name)}/snapshots?target=${e(target)}`,
      { signal },
    ),
  restoreFromTarget: (name: string, target: string, snapshot: string) =>
    api.post<JobAccepted>(`/api/databases/${e(name)}/restore`, { fromTarget: target, snapshot }),

  backupOverview: (signal?: AbortSignal) => api.get<BackupOverview>('/api/backups/overview', { signal }),
  backupTargets: list<BackupTargetView>('/api/backup-targets', 'targets'),
  addBackupTarget: (body: Record<string, unknown>) =>
    api.post<{ target: BackupTargetView; passwordGenerated: boolean }>('/api/backup-targets', body),
  removeBackupTarget: (name: string) => api.del<unknown>(`/api/backup-targets/${e(name)}`),
  testBackupTarget: (name: string) => api.post<JobAccepted>(`/api/backup-targets/${e(name)}/test`),
  verifyBackupTarget: (name: string, readDataSubset?: string) =>
    api.post<JobAccepted>(`/api/backup-targets/${e(name)}/verify`, readDataSubset ? { readDataSubset } : {}),
  appBackups: (name: string, signal?: AbortSignal) =>
    api.get<AppBackupList>(`/api/apps/${e(name)}/backups`, { signal }),
  runAppBackup: (name: string, target?: string) =>
    api.post<JobAccepted>(`/api/apps/${e(name)}/backups`, target ? { target } : {}),
  restoreApp: (name: string, snapshot: string, fromTarget?: string | null) =>
    api.post<JobAccepted>(`/api/apps/${e(name)}/restore`, fromTarget ? { snapshot, fromTarget } : { snapshot }),

  jobs: list<JobRecord>('/api/jobs?limit=100', 'jobs'),
  job: async (id: string, signal?: AbortSignal) =>
    unwrapOne<JobRecord>(await api.get<unknown>(`/api/jobs/${e(id)}`, { signal }), 'job'),
  jobLogs: (id: string, signal?: AbortSignal) => api.get<unknown>(`/api/jobs/${e(id)}/logs`, { signal }),
  cancelJob: (id: string) => api.post<unknown>(`/api/jobs/${e(id)}/cancel`),
  jobEventsPath: (id: string) => `/api/jobs/${e(id)}/events`,
};
