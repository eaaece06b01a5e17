import { z } from 'zod';
import type { ServerStatusReport } from '../core/commands/server-status.js';
import { fingerprintSchema, nameSchema } from '../core/schemas/common.js';
import type { ProxyRouteView, ProxyStatus } from '../services/proxy.js';
import type { DeploymentView } from '../services/releases.js';
import type { ProbeResult, TrustResult } from '../services/server-remote.js';

/** OpenAPI shapes of the remote-operation views (checked against the service types below). */

const jobError = z.object({ code: z.string(), message: z.string(), hint: z.string().optional() });

export const probeResultSchema = z
  .object({
    server: z.string(),
    status: z.enum(['ok', 'unreachable', 'auth_failed', 'host_key_mismatch']),
    fingerprint: z.string().nullable(),
    pinned: z.boolean(),
    system: z.string().nullable(),
    error: jobError.nullable(),
    durationMs: z.number(),
  })
  .meta({ id: 'ProbeResult' });

export const trustBody = z
  .object({ fingerprint: fingerprintSchema.describe('The fingerprint you verified on the server (ssh-keygen -lf)') })
  .meta({ id: 'TrustServer' });

export const trustResultSchema = z
  .object({ server: z.string(), previous: z.string().nullable(), current: z.string(), changed: z.boolean() })
  .meta({ id: 'TrustResult' });

const disk = z.object({
  mount: z.string(),
  filesystem: z.string(),
  sizeBytes: z.number(),
  usedBytes: z.number(),
  availableBytes: z.number(),
  usePercent: z.number(),
});
const container = z.object({
  id: z.string(),
  name: z.string(),
  image: z.string(),
  state: z.string(),
  status: z.string(),
  ports: z.string(),
});
export const serverStatusSchema = z
  .object({
    name: z.string(),
    target: z.string(),
    hostname: z.string().nullable(),
    kernel: z.string().nullable(),
    cpus: z.number().nullable(),
    uptimeSeconds: z.number().nullable(),
    load: z.object({ m1: z.number(), m5: z.number(), m15: z.number() }).nullable(),
    memory: z
      .object({
        totalBytes: z.number(),
        availableBytes: z.number(),
        usedBytes: z.number(),
        swapTotalBytes: z.number(),
        swapFreeBytes: z.number(),
      })
      .nullable(),
    disks: z.array(disk).readonly(),
    containers: z.array(container).readonly().nullable(),
    notes: z.array(z.string()).readonly(),
  })
  .meta({ id: 'ServerStatus' });

export const provisionBody = z
  .object({ dryRun: z.boolean().optional().describe('Only check and report what each step would change') })
  .meta({ id: 'Provision' });

export const execBody = z
  .object({
    command: z.string().min(1).max(16_384).describe('A shell command line, run as `ssh host <command>` would'),
    timeoutMs: z.number().int().min(1000).max(3_600_000).optional(),
  })
  .meta({ id: 'ServerExec' });

export const deploymentSchema = z
  .object({
    id: z.number().int(),
    release: z.number().int(),
    action: z.string(),
    sourceType: z.string(),
    source: z.string().nullable(),
    status: z.string(),
    current: z.boolean(),
    hostPort: z.number().int().nullable(),
    error: z.string().nullable(),
    logs: z.string().nullable(),
    by: z.string(),
    jobId: z.string().nullable(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'Deployment' });

export const deployBody = z
  .object({
    server: nameSchema.optional(),
    wait: z.boolean().optional().describe('Queue behind a running job of this app instead of answering 423'),
  })
  .meta({ id: 'Deploy' });

export const rollbackBody = z
  .object({
    server: nameSchema.optional(),
    release: z.number().int().min(1).optional().describe('Default: the release before the current one'),
    wait: z.boolean().optional(),
  })
  .meta({ id: 'Rollback' });

export const appLogsQuery = z.object({
  server: nameSchema.optional(),
  lines: z.coerce.number().int().min(1).max(10_000).optional(),
});

export const logLineSchema = z
  .object({ stream: z.enum(['stdout', 'stderr']), line: z.string() })
  .meta({ id: 'LogLine' });

export const proxyRouteSchema = z
  .object({ domain: z.string(), upstreamPort: z.number().int(), app: z.string().nullable() })
  .meta({ id: 'ProxyRoute' });

export const proxyStatusSchema = z
  .object({
    server: z.string(),
    running: z.boolean(),
    adminAddress: z.string(),
    configPath: z.string(),
    inSync: z.boolean(),
    routes: z.array(proxyRouteSchema),
  })
  .meta({ id: 'ProxyStatus' });

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same = <T extends true>(_?: T) => undefined;
same<Same<z.infer<typeof probeResultSchema>, ProbeResult>>();
same<Same<z.infer<typeof trustResultSchema>, TrustResult>>();
same<Same<z.infer<typeof serverStatusSchema>, ServerStatusReport>>();
same<Same<z.infer<typeof deploymentSchema>, DeploymentView>>();
same<Same<z.infer<typeof proxyRouteSchema>, ProxyRouteView>>();
same<Same<z.infer<typeof proxyStatusSchema>, ProxyStatus>>();
