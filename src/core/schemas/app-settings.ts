import { z } from 'zod';
import { domainSchema } from './common.js';

// What `app update` changes besides the source: how a release runs (limits, restart policy, volumes, release
// command) and where it is routed (domains). Allowlists only: these values reach compose files and commands.

/** Docker memory size: a number with an optional unit b, k, m or g (at least 6 MB, Docker's minimum). */
export const memorySchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[0-9]{1,12}[bkmg]?$/, 'must be a size such as 512m or 2g (units b, k, m, g)')
  .refine((m) => memoryBytes(m) >= 6 * 1024 * 1024, { message: 'must be at least 6m (Docker’s minimum)' })
  .refine((m) => memoryBytes(m) <= 2 ** 50, { message: 'is larger than any server' });

export function memoryBytes(m: string): number {
  const unit = m.at(-1) ?? '';
  const n = Number.parseInt(m, 10);
  const mult = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  return n * mult;
}

/** CPUs as Docker's `--cpus`: a decimal such as 0.5 or 2. */
export const cpusSchema = z.coerce
  .number({ error: 'must be a number of CPUs such as 0.5 or 2' })
  .min(0.01, 'must be at least 0.01')
  .max(512, 'must be at most 512')
  .refine((n) => Number.isInteger(Math.round(n * 100)) && Math.abs(n * 100 - Math.round(n * 100)) < 1e-9, {
    message: 'at most two decimals',
  });

export const RESTART_POLICIES = ['no', 'always', 'unless-stopped', 'on-failure'] as const;
export const restartSchema = z
  .string()
  .trim()
  .regex(
    /^(no|always|unless-stopped|on-failure(:[1-9][0-9]{0,2})?)$/,
    'must be no, always, unless-stopped, on-failure or on-failure:N',
  );

/** Names of named volumes (`--volume NAME:/path`): Docker names them `<app>_<name>`. */
export const VOLUME_NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
const CONTAINER_PATH_RE = /^\/[A-Za-z0-9._@+=,-]+(\/[A-Za-z0-9._@+=,-]+)*$/;
const BIND_RE = /^\.\/[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

export type VolumeSpec =
  | { readonly kind: 'named'; readonly name: string; readonly path: string; readonly readOnly: boolean }
  /** A directory under `<app dir>/mounts/` (`./uploads` → `<app dir>/mounts/uploads`). */
  | { readonly kind: 'bind'; readonly source: string; readonly path: string; readonly readOnly: boolean };

const hasDotDot = (p: string) => p.split('/').some((seg) => seg === '..' || seg === '.');

/** `NAME:/path[:ro]` (a named volume kept across releases) or `./dir:/path[:ro]` (a directory in the app dir). */
export function parseVolumeSpec(spec: string): VolumeSpec {
  const parts = spec.trim().split(':');
  const ro = parts.length === 3 && parts[2] === 'ro';
  if (parts.length === 3 && !ro) throw new Error(`'${parts[2]}' is not a mount option (only ro)`);
  if (parts.length < 2 || parts.length > 3) throw new Error('must be NAME:/path or ./dir:/path, optionally :ro');
  const [source = '', path = ''] = parts;
  if (!CONTAINER_PATH_RE.test(path) || hasDotDot(path.slice(1))) {
    throw new Error(`'${path}' must be an absolute path in the container (letters, digits, ".", "_", "-", "/")`);
  }
  if (path === '/') throw new Error('cannot mount over the container root');
  if (source.startsWith('./')) {
    if (!BIND_RE.test(source) || hasDotDot(source.slice(2))) {
      throw new Error(`'${source}' must be a relative path like ./uploads (bind mounts stay under the app directory)`);
    }
    return { kind: 'bind', source: source.slice(2), path, readOnly: ro };
  }
  if (source.startsWith('/') || source.startsWith('~') || source.includes('/')) {
    throw new Error(`'${source}': bind mounts must be under the app directory, written ./dir`);
  }
  if (!VOLUME_NAME_RE.test(source)) {
    throw new Error(`'${source}' must be a volume name of a-z, 0-9 and "-" (or ./dir for a bind mount)`);
  }
  return { kind: 'named', name: source, path, readOnly: ro };
}

export const volumeSpecSchema = z.string().transform((s, ctx) => {
  try {
    return parseVolumeSpec(s);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});

export const volumeText = (v: VolumeSpec): string =>
  `${v.kind === 'named' ? v.name : `./${v.source}`}:${v.path}${v.readOnly ? ':ro' : ''}`;

/** Volumes of one app: each container path once, each named volume once. */
export const volumeListSchema = z
  .array(volumeSpecSchema)
  .max(32, 'at most 32 volumes')
  .superRefine((list, ctx) => {
    const paths = new Set<string>();
    for (const v of list) {
      if (paths.has(v.path)) ctx.addIssue({ code: 'custom', message: `${v.path} is mounted twice` });
      paths.add(v.path);
    }
  });

/** A shell command run once in the new release before traffic switches (migrations): one line of text. */
export const releaseCommandSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty (use none to remove it)')
  .max(4096, 'at most 4096 characters')
  .refine((c) => !/[\x00-\x08\x0a-\x1f\x7f]/.test(c), { message: 'must be one line without control characters' });

/** The domains of an app: the first is its primary domain. */
export const domainListSchema = z
  .array(domainSchema)
  .max(20, 'at most 20 domains per app')
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    for (const d of list) {
      if (seen.has(d)) ctx.addIssue({ code: 'custom', message: `${d} is listed twice` });
      seen.add(d);
    }
  });

/** How an app's release runs; stored in the app's settings and snapshotted per release (for `pending`). */
export interface RuntimeSettings {
  readonly memory?: string | undefined;
  readonly cpus?: number | undefined;
  readonly restart?: string | undefined;
  readonly volumes?: readonly VolumeSpec[] | undefined;
  readonly releaseCommand?: string | undefined;
}

/** `www.example.com` for `example.com`; null for a domain that already starts with www. */
export const wwwOf = (domain: string): string | null => (domain.startsWith('www.') ? null : `www.${domain}`);
