import { z } from 'zod';

export const autoDeployViewSchema = z
  .object({
    app: z.string(),
    mode: z.enum(['poll', 'off']),
    intervalSeconds: z.number().int().nullable(),
    /** What is watched: `git ls-remote <repo> <branch>` or the image tag's digest, both from the server. */
    watches: z.string().nullable(),
    lastSeen: z.string().nullable().describe('Commit or image id seen at the source by the last check'),
    lastCheckedAt: z.string().nullable(),
    lastError: z.string().nullable(),
    lastJobId: z.string().nullable().describe('The last deploy a change started'),
  })
  .meta({ id: 'AutoDeploy' });
export type AutoDeployView = z.infer<typeof autoDeployViewSchema>;
