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
  })
  .meta({ id: 'DeployApp' });

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
