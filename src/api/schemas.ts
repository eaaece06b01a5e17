import { z } from 'zod';
import { JOB_STATUSES } from '../core/jobs.js';
import { appCreateSchema, drainTimeoutSchema, initSchema, stopTimeoutSchema } from '../core/schemas/app.js';
import { clusterAppSchema } from '../core/schemas/cluster.js';
import { envKeySchema, nameSchema } from '../core/schemas/common.js';
import { MAX_DOTENV_BYTES } from '../core/schemas/dotenv.js';
import { edgeServerAddSchema } from '../core/schemas/edge.js';
import { proxySettingsSchema, serverAddSchema } from '../core/schemas/server.js';

/**
 * The HTTP framing of the API: the error body, request bodies, path and query parameters. What the routes
 * return are the views of src/core/schemas/views/ (the services' return types are inferred from them).
 */

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      hint: z.string().optional(),
      details: z
        .object({
          issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
          jobId: z.string().optional(),
          need: z.enum(['read', 'deploy', 'admin']).optional().describe('FORBIDDEN: the access level the action needs'),
          have: z.enum(['read', 'deploy', 'admin']).optional().describe("FORBIDDEN: the caller's level"),
        })
        .optional(),
    }),
  })
  .meta({ id: 'Error' });

// Request bodies and parameters: the shared core schemas, plus the HTTP framing.
export const nameParam = z.object({ name: nameSchema });
export const envKeyParam = z.object({ name: nameSchema, key: envKeySchema });
export const jobIdParam = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'not a job id') });
export const serverQuery = z.object({ server: nameSchema.optional() });
export const forceQuery = z.object({ force: z.enum(['true', 'false', '1', '0']).optional() });

export const serverAddBody = serverAddSchema
  .extend({ proxy: proxySettingsSchema.partial().optional() })
  .meta({ id: 'ServerAdd' });
export const edgeServerAddBody = edgeServerAddSchema
  .extend({
    keyPath: z
      .string()
      .min(1)
      .max(4096)
      .optional()
      .describe("A private key file in $INFRAKT_HOME/keys whose public half the script authorises for infrakt's login"),
  })
  // No host or fingerprint: the device dials out, and infrakt generates and pins its host key itself.
  .strict()
  .meta({ id: 'EdgeServerAdd' });
// The shape of appCreateSchema (its refinements run again in createApp), with `server` optional beside `cluster`.
export const appCreateBody = z
  .object({
    ...appCreateSchema.shape,
    server: nameSchema.optional().describe('Server of the app (or `cluster`)'),
    cluster: clusterAppSchema
      .optional()
      .describe('Run the image app on a Swarm cluster with replicas (then `server` is the cluster manager)'),
    composeFile: z
      .string()
      .max(1_000_000)
      .optional()
      .describe('Content of a compose file (compose apps): stored with the app, validated before saving'),
    gitHostKey: z
      .string()
      .max(8192)
      .optional()
      .describe('SSH sources: the git host key to pin ("ssh-ed25519 AAAA…") or its SHA256 fingerprint'),
    gitToken: z
      .string()
      .max(4096)
      .optional()
      .describe('https sources: a token for a private repository (stored sealed, never returned)'),
    gitUsername: z.string().max(255).optional().describe('User name sent with gitToken (default x-access-token)'),
  })
  .meta({ id: 'AppCreate' });
const nullableText = (max: number, description: string) =>
  z.string().max(max).nullable().optional().describe(description);
export const appUpdateBody = z
  .object({
    image: z.string().optional(),
    branch: z.string().optional(),
    git: z.string().max(2048).optional(),
    composeFile: z.string().max(1_000_000).optional(),
    domains: z
      .array(z.string())
      .max(50)
      .optional()
      .describe('Replaces the domains (the first is primary); [] removes all. Applied at once'),
    wwwRedirect: z.boolean().optional().describe('www.<domain> redirects to <domain> (applied at once)'),
    port: z.number().int().optional(),
    healthPath: z.string().max(2048).optional(),
    healthTimeout: z.number().int().optional().describe('Seconds'),
    memory: nullableText(32, 'e.g. 512m or 2g; null removes the limit'),
    cpus: z
      .union([z.number(), z.string().max(16)])
      .nullable()
      .optional()
      .describe('e.g. 0.5; null removes the limit'),
    restart: z.string().max(32).optional().describe('unless-stopped, always, on-failure[:N] or no'),
    volumes: z
      .array(z.string().max(4096))
      .max(64)
      .optional()
      .describe('NAME:/path or ./dir:/path, :ro optional; replaces the list'),
    releaseCommand: nullableText(4096, 'Run once in the new release before the switch; null removes it'),
    preBackupHook: nullableText(
      4096,
      "Run in the app's container before app backup reads its volumes (e.g. a database dump); a failure fails the backup; null removes it",
    ),
    gitHostKey: nullableText(8192, 'A key or SHA256 fingerprint to pin; null: pin again on the next fetch'),
    gitToken: nullableText(4096, 'A new https token (never returned); null removes it'),
    gitUsername: z.string().max(255).optional(),
    init: initSchema.optional(),
    stopTimeout: stopTimeoutSchema.optional(),
    drainTimeout: drainTimeoutSchema.optional(),
    server: nameSchema.optional(),
  })
  .meta({
    id: 'AppUpdate',
    description:
      'Domains and the www redirect apply at once (202 + job when the app is routed); the rest at the next deploy',
  });

const envValue = z.string();
export const envSetBody = z
  .object({
    vars: z.record(envKeySchema, envValue).describe('KEY -> value; all validated first, written in one transaction'),
    server: nameSchema.optional(),
  })
  .meta({ id: 'EnvSet' });

export const envImportBody = z
  .object({
    dotenv: z.string().max(MAX_DOTENV_BYTES).describe('A dotenv file: KEY=value lines, # comments, quoted values'),
    replace: z.boolean().optional().describe('Also delete the variables the file does not list'),
    server: nameSchema.optional(),
  })
  .meta({ id: 'EnvImport' });

export const jobsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).optional(),
  status: z.enum(JOB_STATUSES).optional(),
});
export const logsQuery = z.object({
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(5000).optional(),
});
