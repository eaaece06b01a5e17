import { z } from 'zod';
import { domainListSchema } from './app-settings.js';
import { branchSchema, domainSchema, imageSchema, nameSchema, portSchema } from './common.js';
import { looksLikeSshGit, sshGitUrlProblem } from './git-source.js';

export const DB_TYPES = ['postgres', 'mysql', 'mariadb', 'redis', 'mongo'] as const;
export type DbType = (typeof DB_TYPES)[number];
export const APP_TYPES = ['image', 'git', 'compose', ...DB_TYPES.map((t) => `db:${t}` as const)] as const;
export type AppType = (typeof APP_TYPES)[number];

export const APP_STATUSES = ['created', 'deploying', 'running', 'failed', 'stopped'] as const;
export type AppStatus = (typeof APP_STATUSES)[number];

/**
 * Why an https git URL is refused before any DNS check, or null. git/curl and the WHATWG parser disagree on
 * backslashes, userinfo and non-canonical hosts (`https://github.com\\@127.0.0.1/x` is github.com to one and
 * 127.0.0.1 to the other): only a URL that is already its own canonical `href` is accepted, so what is
 * checked, stored and cloned is one string.
 */
export const CREDENTIALS_IN_URL = 'must not embed credentials';
export function gitUrlProblem(u: string): string | null {
  // new URL() silently drops tabs/newlines and encodes spaces: refuse them before it can.
  if (/[\s\x00-\x1f\x7f]/.test(u)) return 'must not contain spaces or control characters';
  if (u.includes('\\')) return 'must not contain "\\"';
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return 'is not a valid URL';
  }
  if (url.protocol !== 'https:') return 'only https:// is accepted';
  if (url.username || url.password || url.host.includes('@')) return CREDENTIALS_IN_URL;
  if (!url.hostname) return 'needs a host';
  if (url.hostname.endsWith('.')) return 'the host must not end with "."';
  if (url.href !== u) return `must be written in canonical form: ${url.href}`;
  return null;
}

/**
 * A git source: https URL, an SSH repository (`git@host:org/repo.git`, `ssh://…`, fetched with the app's
 * deploy key), or an absolute path of a repository on the server itself (for private/local setups and tests).
 * Deeper SSRF checks (DNS) happen in the service.
 */
export const gitUrlSchema = z
  .string()
  .trim()
  .max(2048)
  .superRefine((u, ctx) => {
    if (/[\s\x00-\x1f\x7f]/.test(u)) {
      ctx.addIssue({ code: 'custom', message: 'must not contain spaces or control characters' });
      return;
    }
    if (u.startsWith('/')) {
      if (!/^\/[A-Za-z0-9._/-]+$/.test(u) || u.split('/').includes('..'))
        ctx.addIssue({ code: 'custom', message: 'must be an absolute path of letters, digits, ".", "_", "-" and "/"' });
      return;
    }
    if (looksLikeSshGit(u)) {
      const bad = sshGitUrlProblem(u);
      if (bad) ctx.addIssue({ code: 'custom', message: `is not a usable SSH repository (${bad})` });
      return;
    }
    const why = gitUrlProblem(u);
    if (why)
      ctx.addIssue({
        code: 'custom',
        message: `must be an https:// URL without embedded credentials, an SSH repository (git@host:org/repo.git or ssh://…), or an absolute path on the server (${why})`,
      });
  });

export const healthCheckSchema = z.object({
  path: z
    .string()
    .max(2048, 'must be at most 2048 characters')
    .regex(/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$/, 'must be a URL path starting with "/"')
    .default('/'),
  intervalMs: z.coerce.number().int().min(100).max(60_000).default(1000),
  timeoutMs: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
  /** Statuses besides 200-399 that mean "up" (an API that answers 401 without credentials, e.g. a catalog agent). */
  accept: z.array(z.number().int().min(200).max(499)).max(10).optional(),
});
export type HealthCheck = z.output<typeof healthCheckSchema>;

/** Seconds a stop waits for the app before SIGKILL (`--stop-timeout`). */
export const stopTimeoutSchema = z
  .number()
  .int('the stop timeout is whole seconds')
  .min(0, 'the stop timeout is 0 seconds or more')
  .max(3600, 'the stop timeout is at most 3600 seconds')
  .describe('Seconds a stop waits for the app before SIGKILL (Docker default 10)');
/** Seconds a deploy waits for requests in flight to the previous release before stopping it (`--drain-timeout`). */
export const drainTimeoutSchema = z
  .number()
  .int('the drain timeout is whole seconds')
  .min(0, 'the drain timeout is 0 seconds or more')
  .max(3600, 'the drain timeout is at most 3600 seconds')
  .describe(
    'Seconds a deploy waits for requests in flight to the previous release before stopping it (default 30; 0: no drain)',
  );
/** Run the release with an init as PID 1 (default true): signals reach the app, zombies are reaped. */
export const initSchema = z.boolean().describe('Run an init as PID 1 in the release (default true)');

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
    init: initSchema.optional(),
    stopTimeout: stopTimeoutSchema.optional(),
    drainTimeout: drainTimeoutSchema.optional(),
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
