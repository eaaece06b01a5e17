// Shapes the API returns. Where a service view exists we import it, so a change there breaks our build.
import type { AppView } from '../../../src/services/apps.js';
import type { DashboardView } from '../../../src/services/dashboard.js';
import type { EnvEntry } from '../../../src/services/env.js';
import type { JobEvent, JobRecord, JobStatus, JobStep, StepStatus } from '../../../src/services/jobs-types.js';
import type { ProxyRouteView } from '../../../src/services/proxy.js';
import type { DeploymentView } from '../../../src/services/releases.js';
import type { ProbeResult } from '../../../src/services/server-remote.js';
import type { ServerStatusReport } from '../../../src/services/server-status.js';
import type { ServerView } from '../../../src/services/servers.js';

export type {
  AppView,
  DashboardView,
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

export interface ServerAddResult {
  server?: ServerView;
  hostKeyFingerprint?: string | null;
  fingerprint?: string | null;
  jobId?: string;
  [k: string]: unknown;
}
