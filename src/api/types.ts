/**
 * The API's response shapes, for clients (the dashboard imports these types; no runtime code here).
 * Lists are bare JSON arrays; single resources are bare objects; errors are ApiErrorBody with the
 * HTTP status of src/api/errors.ts. Jobs: 202 + `Location: /api/jobs/<id>` + JobAccepted.
 */

export type { ContainerInfo, DiskUsage, ServerStatusReport } from '../core/commands/server-status.js';
export type { JobEvent, JobRecord, JobStatus, JobStep, StepStatus } from '../core/jobs.js';
export type { AppView } from '../services/apps.js';
export type { DashboardView, FailingThing, RecentDeployment } from '../services/dashboard.js';
export type { EnvEntry } from '../services/env.js';
export type { ProxyRouteView, ProxyStatus } from '../services/proxy.js';
export type { DeploymentView } from '../services/releases.js';
export type { ProbeResult, TrustResult } from '../services/server-remote.js';
export type { ServerView } from '../services/servers.js';
export type { ApiErrorBody } from './errors.js';

import type { JobRecord, JobStep } from '../core/jobs.js';

/** 202 body of every route that starts a job. */
export interface JobAccepted {
  jobId: string;
  job: JobRecord;
}

/** `GET /api/apps/:name/env` entries: value is always `********`. */
export interface MaskedEnvEntry {
  key: string;
  value: string;
  updatedAt: string;
}

/** `GET /api/jobs/:id/logs` items and the data of SSE `log` events of a job. */
export interface JobLogLine {
  type: 'log';
  id: number;
  stepIdx: number | null;
  stream: 'info' | 'stdout' | 'stderr';
  line: string;
  ts: string;
}

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

/** SSE events of `GET /api/apps/:name/logs/stream` (and items of `GET /api/apps/:name/logs`). */
export interface AppLogLine {
  stream: 'stdout' | 'stderr';
  line: string;
}
export type AppLogStreamEvent =
  | { event: 'log'; id: number; data: AppLogLine }
  | { event: 'end'; data: { reason: string } }
  | { event: 'error'; data: { error: { code: string; message: string; hint?: string } } };
