import { z } from 'zod';

/** Resource names end up in paths, compose project names and shell words: allowlist only. */
export const NAME_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;
export const nameSchema = z
  .string({ error: 'a name is required' })
  .regex(NAME_RE, 'must be 1-63 characters of a-z, 0-9 and "-", starting with a letter or digit');

const LABEL = '(?!-)[a-z0-9-]{1,63}(?<!-)';
const DOMAIN_RE = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})+$`);
export const domainSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(DOMAIN_RE, 'must be a fully qualified host name such as app.example.com');

export const portSchema = z.coerce
  .number({ error: 'must be a number' })
  .int('must be a whole number')
  .min(1, 'must be between 1 and 65535')
  .max(65535, 'must be between 1 and 65535');

// Docker reference grammar (distribution/reference), without the optional scheme.
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REGISTRY =
  '(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?/)';
const IMAGE_RE = new RegExp(
  `^${REGISTRY}?${COMPONENT}(?:/${COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`,
);
export const imageSchema = z
  .string()
  .trim()
  .max(255, 'image reference too long')
  .regex(IMAGE_RE, 'must be an image reference such as nginx:alpine or ghcr.io/org/app:1.2');

// git check-ref-format, restricted to a conservative character set.
export const branchSchema = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9._/-]+$/, 'may contain only letters, digits, ".", "_", "/" and "-"')
  .refine((b) => !b.startsWith('-') && !b.startsWith('/') && !b.endsWith('/') && !b.endsWith('.'), {
    message: 'must not start with "-" or "/" nor end with "/" or "."',
  })
  .refine((b) => !b.includes('..') && !b.includes('//') && !b.endsWith('.lock') && !b.includes('/.'), {
    message: 'is not a valid git branch name',
  });

/** A full commit id (40 hex digits, or 64 in SHA-256 repositories); upper case is folded. */
export const commitSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, 'must be a full commit id (40 or 64 hex digits)');

export const ENV_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Names JavaScript objects treat specially: as a key of a request body or a map they would vanish silently.
const RESERVED_ENV_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
export const envKeySchema = z
  .string()
  .max(255)
  .regex(ENV_KEY_RE, 'must start with a letter or "_" and contain only letters, digits and "_"')
  .refine((k) => !RESERVED_ENV_KEYS.has(k), { message: 'is a reserved name (__proto__, constructor, prototype)' });

export const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

/** Bytes of one value in the container's environment (Linux caps one `K=V` string at 128 KiB). */
export const MAX_ENV_VALUE_BYTES = 64 * 1024;
/** Bytes of all of an app's `K=V` strings: the kernel refuses to start a process with more than ~2 MiB. */
export const MAX_ENV_TOTAL_BYTES = 1024 * 1024;

// Every value a user can set reaches the container byte for byte (core/plans/compose-env.ts); what cannot be
// carried is refused here, when it is set: NUL (the kernel ends a string there), text that is not valid
// Unicode (a lone UTF-16 surrogate would become U+FFFD), and sizes the kernel refuses at exec.
export const envValueSchema = z
  .string()
  .refine((v) => !v.includes('\0'), { message: 'must not contain NUL bytes' })
  .refine((v) => !/\p{Cs}/u.test(v), { message: 'is not valid Unicode (it contains a lone UTF-16 surrogate)' })
  .refine((v) => utf8Length(v) <= MAX_ENV_VALUE_BYTES, {
    message: `value too long (max ${MAX_ENV_VALUE_BYTES / 1024} KiB in UTF-8)`,
  });

export const providerSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,62}$/, 'must be a short label such as hetzner or digitalocean');

// Hostname, IPv4, bracket-less IPv6, or the word `local` (this machine, no SSH).
const HOSTNAME_RE =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV6_RE = /^[0-9a-fA-F:.]{2,45}$/;
export const hostSchema = z
  .string()
  .trim()
  .refine((h) => HOSTNAME_RE.test(h) || (h.includes(':') && IPV6_RE.test(h)), {
    message: 'must be a host name or an IP address',
  });

export const sshUserSchema = z
  .string()
  .trim()
  .regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a valid Unix user name');

/**
 * Absolute POSIX path without tricks; used for the per-server remote root (everything infrakt keeps on a
 * server, and what `app destroy` removes below). Normalised (`//`, `/./` and a trailing `/` collapse), and
 * never `/` itself.
 */
export const remoteRootSchema = z
  .string()
  .regex(/^\/[A-Za-z0-9._/-]*$/, 'must be an absolute path of letters, digits, ".", "_", "-" and "/"')
  .refine((p) => !p.split('/').includes('..'), { message: 'must not contain ".."' })
  .transform(
    (p) =>
      `/${p
        .split('/')
        .filter((s) => s !== '' && s !== '.')
        .join('/')}`,
  )
  .refine((p) => p !== '/', { message: 'must be a directory below "/", not "/" itself' });

export const fingerprintSchema = z
  .string()
  .trim()
  .regex(/^SHA256:[A-Za-z0-9+/]{43}=?$/, 'must look like SHA256:<43 base64 characters> (as printed by ssh-keygen -lf)')
  .transform((f) => f.replace(/=$/, ''));
