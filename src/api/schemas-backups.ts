import { z } from 'zod';
import { nameSchema } from '../core/schemas/common.js';

/** Request bodies of the backup routes (their answers are the views of core/schemas/views/backups.ts). */

export const targetAddBody = z
  .object({
    name: nameSchema,
    sftp: z.string().max(1100).optional().describe('user@host[:port]:/path'),
    sshKey: z.string().max(20_000).optional().describe('PEM/OpenSSH private key for the SFTP login (no passphrase)'),
    fingerprint: z.string().max(100).optional().describe('SHA256:… the SFTP host key must have'),
    s3: z.string().max(2048).optional().describe('https://endpoint/bucket[/prefix]'),
    accessKeyId: z.string().max(128).optional(),
    secretAccessKey: z.string().max(1024).optional().describe('Write-only: never returned'),
    region: z.string().max(32).optional(),
    caCert: z.string().max(20_000).optional().describe('PEM CA certificate of the S3 endpoint'),
    allowHttp: z.boolean().optional(),
    repoPassword: z.string().max(1024).optional().describe('Adopt an existing repository (write-only)'),
  })
  .meta({ id: 'BackupTargetAdd' });

const retention = {
  keepDaily: z.number().int().min(1).max(10_000).optional(),
  keepWeekly: z.number().int().min(1).max(10_000).optional(),
  keepMonthly: z.number().int().min(1).max(10_000).optional(),
};
export const appBackupBody = z
  .object({
    target: nameSchema.optional().describe('Off-site target (default: the server local repository)'),
    ...retention,
  })
  .meta({ id: 'AppBackup' });
export const appRestoreBody = z
  .object({ snapshot: z.string().regex(/^[0-9a-f]{8,64}$/), fromTarget: nameSchema.optional() })
  .meta({ id: 'AppRestore' });
