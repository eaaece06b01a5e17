import { z } from 'zod';
import { edgeInfoSchema } from './edge.js';
import { errorSummarySchema } from './error-summary.js';
import { proxySettingsViewSchema } from './proxy.js';

export const serverViewSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    host: z.string(),
    port: z.number().int(),
    user: z.string(),
    keyPath: z.string().nullable(),
    provider: z.string().nullable(),
    root: z.string(),
    status: z.string(),
    hostKeyFingerprint: z.string().nullable(),
    lastCheckedAt: z.string().nullable(),
    lastError: z.string().nullable(),
    appCount: z.number().int(),
    proxy: proxySettingsViewSchema,
    /** Certificates (`server set --acme-*`): null = Let's Encrypt / ZeroSSL without a contact e-mail. */
    acme: z.object({ email: z.string().nullable(), ca: z.string().nullable(), caRoot: z.boolean() }).nullable(),
    /** `server set --allow-private-git on`: git hosts on private networks are accepted. */
    allowPrivateGit: z.boolean(),
    /** Set for an edge server (a device behind NAT that dials out); null for any other server. */
    edge: edgeInfoSchema.nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'Server' });
export type ServerView = z.infer<typeof serverViewSchema>;

/**
 * `POST /api/edge/servers`: the edge server registered, and its bootstrap script. The script carries the device's
 * private keys and is returned this once (infrakt keeps only the public halves): the dashboard shows it to copy
 * or download, then it is gone.
 */
export const edgeServerAddedSchema = z
  .object({
    server: serverViewSchema,
    /** A POSIX sh script to run once on the device as root. */
    bootstrap: z.string(),
    /** The device host key infrakt generated and pinned (SHA256:…). */
    hostKeyFingerprint: z.string(),
    tunnelPort: z.number().int(),
    /** Whether infrakt's own login public key is authorised by the script (else the user does it on the device). */
    loginKeyIncluded: z.boolean(),
  })
  .meta({ id: 'EdgeServerAdded' });
export type EdgeServerAdded = z.infer<typeof edgeServerAddedSchema>;

/** `DELETE /api/servers/{name}`: the server forgotten, and how many app records went with it. */
export const serverRemovedSchema = z.object({
  removed: z.string(),
  apps: z.number().int(),
  /** For an edge server: where its tunnel key was revoked (`control host` or `relay <name>`). */
  edgeKeyRevokedAt: z.string().nullable().optional(),
  /** Whether the device's tunnel session that was still open at its meeting point was ended too (null: none was open). */
  edgeSessionEnded: z.boolean().nullable().optional(),
});
export type ServerRemoved = z.infer<typeof serverRemovedSchema>;

export const probeResultSchema = z
  .object({
    server: z.string(),
    status: z.enum(['ok', 'unreachable', 'auth_failed', 'host_key_mismatch']),
    /** Fingerprint of the key the server presented (null when it was never reached). */
    fingerprint: z.string().nullable(),
    /** True when this check pinned a key that was not pinned before (trust on first use). */
    pinned: z.boolean(),
    /** `uname -srm` of the server when the check got that far. */
    system: z.string().nullable(),
    error: errorSummarySchema.nullable(),
    durationMs: z.number(),
  })
  .meta({ id: 'ProbeResult' });
export type ProbeResult = z.infer<typeof probeResultSchema>;
export type ProbeStatus = ProbeResult['status'];

export const trustResultSchema = z
  .object({ server: z.string(), previous: z.string().nullable(), current: z.string(), changed: z.boolean() })
  .meta({ id: 'TrustResult' });
export type TrustResult = z.infer<typeof trustResultSchema>;

const diskUsageSchema = z.object({
  mount: z.string(),
  filesystem: z.string(),
  sizeBytes: z.number(),
  usedBytes: z.number(),
  availableBytes: z.number(),
  usePercent: z.number(),
});
export type DiskUsage = z.infer<typeof diskUsageSchema>;

const containerInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  image: z.string(),
  state: z.string(),
  status: z.string(),
  ports: z.string(),
});
export type ContainerInfo = z.infer<typeof containerInfoSchema>;

/** Live metrics of a server, gathered in one round trip (`server status`). */
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
    disks: z.array(diskUsageSchema).readonly(),
    /** null when Docker is missing or not usable; see `notes`. */
    containers: z.array(containerInfoSchema).readonly().nullable(),
    notes: z.array(z.string()).readonly(),
    /** For an edge server: its tunnel (connected, since this status came through it). */
    edge: edgeInfoSchema.optional(),
  })
  .meta({ id: 'ServerStatus' });
export type ServerStatusReport = z.infer<typeof serverStatusSchema>;
