import { z } from 'zod';
import { commitSchema, fingerprintSchema, nameSchema } from '../core/schemas/common.js';

/** Request bodies and parameters of the remote-operation routes (their answers are views of core/schemas/views/). */

export const trustBody = z
  .object({ fingerprint: fingerprintSchema.describe('The fingerprint you verified on the server (ssh-keygen -lf)') })
  .meta({ id: 'TrustServer' });

export const provisionBody = z
  .object({ dryRun: z.boolean().optional().describe('Only check and report what each step would change') })
  .meta({ id: 'Provision' });

export const execBody = z
  .object({
    command: z.string().min(1).max(16_384).describe('A shell command line, run as `ssh host <command>` would'),
    timeoutMs: z.number().int().min(1000).max(3_600_000).optional(),
  })
  .meta({ id: 'ServerExec' });

export const deployBody = z
  .object({
    server: nameSchema.optional(),
    wait: z.boolean().optional().describe('Queue behind a running job of this app instead of answering 423'),
  })
  .meta({ id: 'Deploy' });

export const deployAppBody = deployBody
  .extend({
    commit: commitSchema
      .optional()
      .describe(
        'Git apps: deploy exactly this commit of the branch instead of its head (e.g. the one a CI run tested)',
      ),
    localImage: z
      .string()
      .max(255)
      .optional()
      .describe(
        'An image of the machine running the API, sent over SSH (docker save | gzip → docker load) and deployed',
      ),
  })
  .meta({ id: 'DeployApp' });

export const registryAddBody = z
  .object({
    host: z.string().max(300).describe('Registry host, e.g. ghcr.io or registry.example.com:5000'),
    username: z.string().max(255),
    password: z
      .string()
      .max(8192)
      .describe('Password or token (sent to the server on stdin, stored sealed, never returned)'),
  })
  .meta({ id: 'RegistryAdd' });

export const serverUpdateBody = z
  .object({
    host: z.string().max(253).optional(),
    port: z.number().int().optional(),
    user: z.string().max(32).optional(),
    keyPath: z.string().max(4096).nullable().optional().describe('null: use the ssh-agent'),
    root: z.string().max(4096).optional(),
    fingerprint: z.string().max(100).optional().describe('The host key expected at the new address'),
  })
  .meta({ id: 'ServerUpdate', description: 'Saved only once a connection with the new settings worked' });

export const serverSettingsBody = z
  .object({
    pullPolicy: z.enum(['missing', 'never']).optional(),
    acmeEmail: z.string().max(320).nullable().optional(),
    acmeCa: z
      .string()
      .max(2048)
      .nullable()
      .optional()
      .describe('ACME directory URL of a private CA; null: default CAs'),
    acmeCaRoot: z.string().max(65_536).nullable().optional().describe('PEM of the private ACME CA’s root'),
    allowPrivateGit: z.boolean().optional(),
  })
  .meta({ id: 'ServerSettings' });

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
