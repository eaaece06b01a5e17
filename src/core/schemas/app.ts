import { z } from 'zod';
import { domainListSchema } from './app-settings.js';
import { branchSchema, domainSchema, imageSchema, nameSchema, portSchema } from './common.js';
import { looksLikeSshGit, sshGitUrlProblem } from './git-source.js';

export const DB_TYPES = ['postgres', 'mysql', 'redis', 'mongo'] as const;
export type DbType = (typeof DB_TYPES)[number];
export const APP_TYPES = ['image', 'git', 'compose', ...DB_TYPES.map((t) => `db:${t}` as const)] as const;
export type AppType = (typeof APP_TYPES)[number];

export const APP_STATUSES = ['created', 'deploying', 'running', 'failed', 'stopped'] as const;
export type AppStatus = (typeof APP_STATUSES)[number];

/**
 * A git source: https URL, an SSH repository (`git@host:org/repo.git`, `ssh://…`, fetched with the app's
 * deploy key), or an absolute path of a repository on the server itself (for private/local setups and tests).
 * Deeper SSRF checks (DNS) happen in the service.
 */
export const gitUrlSchema = z
  .string()
  .trim()
  .max(2048)
  .refine(
    (u) => {
      // new URL() silently drops tabs/newlines and encodes spaces: refuse them before it can.
      if (/[\s\x00-\x1f\x7f]/.test(u)) return false;
      if (looksLikeSshGit(u)) return sshGitUrlProblem(u) === null;
      if (u.startsWith('/')) return /^\/[A-Za-z0-9._/-]+$/.test(u) && !u.split('/').includes('..');
      try {
        const url = new URL(u);
        return url.protocol === 'https:' && url.hostname.length > 0 && !url.username && !url.password;
      } catch {
        return false;
      }
    },
    {
      message:
        'must be an https:// URL without embedded credentials, an SSH repository (git@host:org/repo.git or ssh://…), or an absolute path on the server',
    },
  );

export const healthCheckSchema = z.object({
  path: z
    .string()
    .regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$/, 'must be a URL path starting with "/"')
    .default('/'),
  intervalMs: z.coerce.number().int().min(100).max(60_000).default(1000),
  timeoutMs: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
  /** Statuses besides 200-399 that mean "up" (an API that answers 401 without credentials, e.g. a catalog agent). */
  accept: z.array(z.number().int().min(200).max(499)).max(10).optional(),
});
export type HealthCheck = z.output<typeof healthCheckSchema>;

export const appCreateSchema = z
  .object({
    server: nameSchema,
    name: nameSchema,
    domain: domainSchema.optional(),
    /** Several domains (the first is the primary one); `domain` alone is the same as a list of one. */
    domains: domainListSchema.optional(),
    port: portSchema.default(3000),
    git: gitUrlSchema.optional(),
    branch: branchSchema.default('main'),
    image: imageSchema.optional(),
    health: healthCheckSchema.partial().optional(),
  })
  .refine((a) => !(a.git && a.image), { message: 'choose either --image or --git, not both', path: ['image'] })
  .refine((a) => !(a.domain && a.domains?.length && a.domains[0] !== a.domain), {
    message: 'give the domains either as domain or as domains',
    path: ['domains'],
  });
export type AppCreateInput = z.input<typeof appCreateSchema>;
export type AppCreate = z.output<typeof appCreateSchema>;

/** The spec's rule: image if an image is given, git if a repository is given, otherwise compose. */
export function inferAppType(input: {
  image?: string | undefined;
  git?: string | undefined;
}): 'image' | 'git' | 'compose' {
  if (input.image) return 'image';
  if (input.git) return 'git';
  return 'compose';
}
