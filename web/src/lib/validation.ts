// Pure mirrors of the server's zod rules (src/core/schemas), so forms say what is wrong before a round trip.
// validation.test.ts checks them against the real schemas, so a drift fails the tests.
import type { AppCreateRequest } from '../api/types.js';

export const NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const ENV_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LABEL = '(?!-)[a-z0-9-]{1,63}(?<!-)';
const DOMAIN_RE = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})+$`);
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REGISTRY =
  '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)';
const IMAGE_RE = new RegExp(
  `^${REGISTRY}?${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);
const HOSTNAME_RE =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6_RE = /^[0-9a-fA-F:.]{2,45}$/;
const FINGERPRINT_RE = /^SHA256:[A-Za-z0-9+/]{43}=?$/;

/** Each check returns an error message, or null when the value is fine. */
export type Check = (v: string) => string | null;

export const checkName: Check = (v) =>
  NAME_RE.test(v) ? null : 'must be 1-63 characters of a-z, 0-9 and "-", starting with a letter or digit';

export const checkDomain: Check = (v) =>
  DOMAIN_RE.test(v.trim().toLowerCase()) ? null : 'must be a fully qualified host name such as app.example.com';

export const checkPort: Check = (v) => {
  if (!/^\s*\d+\s*$/.test(v)) return 'must be a whole number';
  const n = Number(v);
  return n >= 1 && n <= 65535 ? null : 'must be between 1 and 65535';
};

export const checkImage: Check = (v) => {
  const t = v.trim();
  if (t.length > 255) return 'image reference too long';
  return IMAGE_RE.test(t) ? null : 'must be an image reference such as nginx:alpine or ghcr.io/org/app:1.2';
};

// SSH repositories (`git@host:org/repo.git`, `ssh://…`): the rules of src/core/schemas/git-source.ts.
const SSH_USER_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const SSH_HOST_RE =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const SSH_PATH_RE = /^[A-Za-z0-9._~+/-]+$/;

function looksLikeSshGit(u: string): boolean {
  if (u.startsWith('ssh://')) return true;
  if (u.includes('://') || u.startsWith('/')) return false;
  const colon = u.indexOf(':');
  return colon > 0 && !u.slice(0, colon).includes('/');
}

function sshGitOk(u: string): boolean {
  if (/[\s\x00-\x1f\x7f\\]/.test(u)) return false;
  let authority: string;
  let path: string;
  let port = 22;
  if (u.startsWith('ssh://')) {
    const rest = u.slice(6);
    const slash = rest.indexOf('/');
    if (slash <= 0) return false;
    authority = rest.slice(0, slash);
    path = rest.slice(slash);
    const m = authority.match(/^(.*?)(?::([0-9]{1,5}))?$/);
    if (m?.[2]) port = Number(m[2]);
    authority = m?.[1] ?? '';
  } else {
    const colon = u.indexOf(':');
    authority = u.slice(0, colon);
    path = u.slice(colon + 1);
    if (!path) return false;
  }
  const at = authority.lastIndexOf('@');
  const user = at >= 0 ? authority.slice(0, at) : null;
  const host = authority.slice(at + 1);
  if (user !== null && !SSH_USER_RE.test(user)) return false;
  if (!SSH_HOST_RE.test(host) || port < 1 || port > 65535) return false;
  if (!SSH_PATH_RE.test(path) || path.split('/').includes('..')) return false;
  return !path.startsWith('-') && !path.startsWith('/-');
}

export const checkGitUrl: Check = (v) => {
  const u = v.trim();
  const msg =
    'must be an https:// URL without embedded credentials, an SSH repository (git@host:org/repo.git or ssh://…), or an absolute path on the server';
  if (u.length > 2048) return msg;
  if (/[\s\x00-\x1f\x7f]/.test(u)) return msg;
  if (looksLikeSshGit(u)) return sshGitOk(u) ? null : msg;
  if (u.startsWith('/')) return /^\/[A-Za-z0-9._/-]+$/.test(u) && !u.split('/').includes('..') ? null : msg;
  try {
    const url = new URL(u);
    return url.protocol === 'https:' && url.hostname.length > 0 && !url.username && !url.password ? null : msg;
  } catch {
    return msg;
  }
};

export const checkBranch: Check = (v) => {
  const b = v.trim();
  if (b.length < 1 || b.length > 255 || !/^[A-Za-z0-9._/-]+$/.test(b)) {
    return 'may contain only letters, digits, ".", "_", "/" and "-"';
  }
  if (b.startsWith('-') || b.startsWith('/') || b.endsWith('/') || b.endsWith('.')) {
    return 'must not start with "-" or "/" nor end with "/" or "."';
  }
  if (b.includes('..') || b.includes('//') || b.endsWith('.lock') || b.includes('/.')) {
    return 'is not a valid git branch name';
  }
  return null;
};

export const checkEnvKey: Check = (v) =>
  v.length <= 255 && ENV_KEY_RE.test(v)
    ? null
    : 'must start with a letter or "_" and contain only letters, digits and "_"';

export const checkEnvValue: Check = (v) => {
  if (v.length > 65_536) return 'value too long (max 64 KiB)';
  return v.includes('\0') ? 'must not contain NUL bytes' : null;
};

export const checkHost: Check = (v) => {
  const h = v.trim();
  return HOSTNAME_RE.test(h) || (h.includes(':') && IPV6_RE.test(h)) ? null : 'must be a host name or an IP address';
};

export const checkSshUser: Check = (v) =>
  /^[a-z_][a-z0-9_-]{0,31}$/.test(v.trim()) ? null : 'must be a valid Unix user name';

export const checkRemoteRoot: Check = (v) => {
  if (!/^\/[A-Za-z0-9._/-]*$/.test(v)) {
    return 'must be an absolute path of letters, digits, ".", "_", "-" and "/"';
  }
  if (v.split('/').includes('..')) return 'must not contain ".."';
  return v.split('/').every((s) => s === '' || s === '.') ? 'must be a directory below "/", not "/" itself' : null;
};

export const checkFingerprint: Check = (v) =>
  FINGERPRINT_RE.test(v.trim()) ? null : 'must look like SHA256:<43 base64 characters> (as printed by ssh-keygen -lf)';

export const checkProvider: Check = (v) =>
  /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$/.test(v.trim()) ? null : 'must be a short label such as hetzner or digitalocean';

export type FieldErrors<K extends string = string> = Partial<Record<K, string>>;

function run<K extends string>(
  values: Record<K, string>,
  rules: { [F in K]?: { check: Check; required?: boolean; label?: string } },
): FieldErrors<K> {
  const errors: FieldErrors<K> = {};
  for (const field of Object.keys(rules) as K[]) {
    const rule = rules[field];
    if (!rule) continue;
    const value = values[field] ?? '';
    if (value.trim() === '') {
      if (rule.required) errors[field] = 'is required';
      continue;
    }
    const msg = rule.check(value);
    if (msg) errors[field] = msg;
  }
  return errors;
}

export const hasErrors = (e: FieldErrors): boolean => Object.values(e).some(Boolean);

export type ServerFields = 'name' | 'host' | 'user' | 'port' | 'keyPath' | 'provider' | 'root' | 'fingerprint';
export function validateServerForm(v: Record<ServerFields, string>): FieldErrors<ServerFields> {
  return run(v, {
    name: { check: checkName, required: true },
    host: { check: checkHost, required: true },
    user: { check: checkSshUser },
    port: { check: checkPort },
    keyPath: { check: (k) => (k.length > 4096 ? 'path too long' : null) },
    provider: { check: checkProvider },
    root: { check: checkRemoteRoot },
    fingerprint: { check: checkFingerprint },
  });
}

/** An edge device: no host or host key (it dials out; infrakt generates the key it will present). */
export type EdgeServerFields = 'name' | 'relay' | 'user' | 'devicePort' | 'keyPath' | 'root';
export function validateEdgeServerForm(v: Record<EdgeServerFields, string>): FieldErrors<EdgeServerFields> {
  return run(v, {
    name: { check: checkName, required: true },
    relay: { check: checkName },
    user: { check: checkSshUser },
    devicePort: { check: checkPort },
    keyPath: { check: (k) => (k.length > 4096 ? 'path too long' : null) },
    root: { check: checkRemoteRoot },
  });
}

export const APP_KINDS = ['image', 'git', 'compose'] as const;
export type AppKind = (typeof APP_KINDS)[number];
export type AppFields = 'name' | 'server' | 'domain' | 'port' | 'image' | 'git' | 'branch';
/** The fields a form shows for each app type (the server infers the type from image/git). */
export const APP_FIELDS_BY_KIND: Record<AppKind, readonly AppFields[]> = {
  image: ['name', 'server', 'domain', 'port', 'image'],
  git: ['name', 'server', 'domain', 'port', 'git', 'branch'],
  compose: ['name', 'server', 'domain', 'port'],
};

export function validateAppForm(kind: AppKind, v: Record<AppFields, string>): FieldErrors<AppFields> {
  const shown = new Set(APP_FIELDS_BY_KIND[kind]);
  const errors = run(v, {
    name: { check: checkName, required: true },
    server: { check: checkName, required: true },
    domain: { check: checkDomain },
    port: { check: checkPort },
    ...(shown.has('image') ? { image: { check: checkImage, required: true } } : {}),
    ...(shown.has('git') ? { git: { check: checkGitUrl, required: true }, branch: { check: checkBranch } } : {}),
  });
  return errors;
}

/** The request body for POST /api/apps: only the fields of the chosen type, empty ones left out. */
export function appCreateBody(kind: AppKind, v: Record<AppFields, string>): AppCreateRequest {
  const shown = new Set(APP_FIELDS_BY_KIND[kind]);
  const given = (f: AppFields) => (shown.has(f) ? v[f].trim() : '');
  const body: AppCreateRequest = { name: given('name'), server: given('server') };
  if (given('domain')) body.domain = given('domain').toLowerCase();
  if (given('port')) body.port = Number(given('port'));
  if (given('image')) body.image = given('image');
  if (given('git')) body.git = given('git');
  if (given('branch')) body.branch = given('branch');
  return body;
}

export const DB_KINDS = ['postgres', 'mysql', 'mariadb', 'redis', 'mongo'] as const;
export type DbFields = 'name' | 'server' | 'type' | 'version';
export function validateDatabaseForm(v: Record<DbFields, string>): FieldErrors<DbFields> {
  return run(v, {
    name: { check: checkName, required: true },
    server: { check: checkName, required: true },
    type: {
      check: (t) => ((DB_KINDS as readonly string[]).includes(t) ? null : `must be one of ${DB_KINDS.join(', ')}`),
      required: true,
    },
    version: {
      check: (ver) =>
        /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(ver) ? null : 'must be a version tag such as 16 or 7-alpine',
    },
  });
}

export function validateEnvPair(key: string, value: string): FieldErrors<'key' | 'value'> {
  const errors: FieldErrors<'key' | 'value'> = {};
  if (key === '') errors.key = 'is required';
  else {
    const k = checkEnvKey(key);
    if (k) errors.key = k;
  }
  const val = checkEnvValue(value);
  if (val) errors.value = val;
  return errors;
}

/** Typed confirmation for destructive actions: exact match, no trimming surprises. */
export const confirmMatches = (typed: string, expected: string): boolean => typed === expected && expected !== '';
