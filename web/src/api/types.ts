// Shapes the API returns. Where a service view exists we import it, so a change there breaks our build.
import type { AppView } from '../../../src/services/apps.js';
import type { EnvEntry } from '../../../src/services/env.js';
import type { JobEvent, JobRecord, JobStatus, JobStep, StepStatus } from '../../../src/services/jobs-types.js';
import type { ServerView } from '../../../src/services/servers.js';

export type { AppView, EnvEntry, JobEvent, JobRecord, JobStatus, JobStep, ServerView, StepStatus };

export interface JobAccepted {
  jobId: string;
}

export interface Deployment {
  id: number;
  release: number;
  action: string;
  sourceType?: string;
  sourceRef?: string | null;
  status: string;
  error?: string | null;
  triggeredBy?: string;
  jobId: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface DatabaseView {
  id?: number;
  name: string;
  server: string;
  type: string;
  version?: string | null;
  port?: number | null;
  status: string;
  createdAt?: string;
}

export interface DatabaseCreated {
  jobId?: string;
  /** Shown once: the API does not keep the password. */
  connectionString?: string;
  password?: string;
}

export interface BackupView {
  name: string;
  size?: number | null;
  createdAt?: string | null;
}

export interface ContainerView {
  name: string;
  image?: string;
  status?: string;
  state?: string;
  ports?: string;
}

export interface ProxyRouteView {
  domain: string;
  upstreamPort?: number;
  port?: number;
  app?: string | null;
}

export interface MetricsSample {
  ts?: string;
  load1?: number;
  load5?: number;
  load15?: number;
  cpus?: number;
  memTotal?: number;
  memUsed?: number;
  diskTotal?: number;
  diskUsed?: number;
  [k: string]: unknown;
}

export interface DashboardView {
  servers?: { total: number; byStatus?: Record<string, number> } | number;
  apps?: { total: number; byStatus?: Record<string, number> } | number;
  databases?: { total: number; byStatus?: Record<string, number> } | number;
  recentDeployments?: (Deployment & { app?: string; server?: string })[];
  failing?: { kind: string; name: string; status: string; message?: string | null; jobId?: string | null }[];
  jobs?: { running?: number; failed?: number };
  [k: string]: unknown;
}

export interface ServerAddResult {
  server?: ServerView;
  hostKeyFingerprint?: string | null;
  fingerprint?: string | null;
  jobId?: string;
  [k: string]: unknown;
}
