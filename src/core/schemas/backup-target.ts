import { z } from 'zod';
import { validation } from '../errors.js';
import { hostSchema, portSchema, sshUserSchema } from './common.js';
import { parseInput } from './parse.js';

/** Where an SFTP target lives: `user@host[:port]:/path` (port defaults to 22). No secret in it. */
export interface SftpLocation {
  readonly kind: 'sftp';
  readonly user: string;
  readonly host: string;
  readonly port: number;
  /** Absolute, or relative to the user's home on the target. */
  readonly path: string;
  /** Pinned host keys of the target as `<type> <base64>` lines (empty until first contact or --host-key). */
  readonly hostKeys: readonly string[];
  /** Required fingerprint given at `add` (checked at first contact), or null (trust on first use). */
  readonly fingerprint: string | null;
  /** A private key is stored (sealed) for this target; otherwise the server's own SSH identity is used. */
  readonly hasKey: boolean;
}

/** An S3-compatible bucket: `https://endpoint[:port]/bucket[/prefix]`, path-style addressing. */
export interface S3Location {
  readonly kind: 's3';
  readonly endpoint: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly accessKeyId: string;
  readonly region: string | null;
  /** PEM of a CA to trust for the endpoint (self-hosted MinIO, private CA); not a secret. */
  readonly caCert: string | null;
}

export type TargetLocation = SftpLocation | S3Location;

// Conservative: these strings become parts of restic's repository URL and ssh's argv (always quoted).
const REMOTE_PATH_RE = /^[A-Za-z0-9._/~-]+$/;
const BUCKET_RE = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX_RE = /^[A-Za-z0-9._/-]*$/;

export const remotePathSchema = z
  .string()
  .min(1, 'a path is required')
  .max(1024)
  .regex(REMOTE_PATH_RE, 'may contain only letters, digits, ".", "_", "-", "~" and "/"')
  .refine((p) => !p.split('/').includes('..'), { message: 'must not contain ".."' });

/** Parses `user@host[:port]:/path` (IPv6 hosts in brackets: `user@[::1]:2222:/path`). */
export function parseSftpSpec(spec: string): Pick<SftpLocation, 'user' | 'host' | 'port' | 'path'> {
  const m = /^([^@\s]+)@(\[[^\]]+\]|[^:\s]+)(?::(\d+))?:(.+)$/.exec(spec.trim());
  if (!m)
    throw validation(
      `--sftp must look like user@host:/path or user@host:port:/path, got '${spec}'`,
      'e.g. --sftp backup@nas.example.com:/srv/restic',
    );
  const [, user = '', rawHost = '', port, path = ''] = m;
  return {
    user: parseInput(sshUserSchema, user, 'SFTP user'),
    host: parseInput(hostSchema, rawHost.replace(/^\[|\]$/g, ''), 'SFTP host'),
    port: port === undefined ? 22 : parseInput(portSchema, port, 'SFTP port'),
    path: parseInput(remotePathSchema, path, 'SFTP path'),
  };
}

/** Parses `https://endpoint[:port]/bucket[/prefix]`. Plain http only with `allowHttp` (loopback/LAN endpoints). */
export function parseS3Spec(spec: string, allowHttp = false): Pick<S3Location, 'endpoint' | 'bucket' | 'prefix'> {
  let u: URL;
  try {
    u = new URL(spec.trim());
  } catch {
    throw validation(`--s3 must be a URL such as https://s3.example.com/bucket/prefix, got '${spec}'`);
  }
  if (u.protocol !== 'https:' && !(allowHttp && u.protocol === 'http:'))
    throw validation('--s3 must be an https:// URL', 'restic signs every request; https keeps the traffic private too');
  if (u.username || u.password || u.search || u.hash)
    throw validation(
      '--s3 takes no credentials, query or fragment in the URL',
      'pass --access-key-id and the secret on stdin',
    );
  parseInput(hostSchema, u.hostname.replace(/^\[|\]$/g, ''), 'S3 endpoint host');
  const [bucket = '', ...rest] = u.pathname.replace(/^\/+/, '').replace(/\/+$/, '').split('/');
  if (!BUCKET_RE.test(bucket))
    throw validation(`'${bucket}' is not a bucket name`, 'the URL is https://endpoint/bucket[/prefix]');
  const prefix = rest.join('/');
  if (!PREFIX_RE.test(prefix) || prefix.split('/').includes('..'))
    throw validation(`'${prefix}' is not a valid prefix`, 'letters, digits, ".", "_", "-" and "/"');
  return { endpoint: `${u.protocol}//${u.host}`, bucket, prefix };
}

export const accessKeyIdSchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9+/=._-]{3,128}$/, 'must be an access key id (letters, digits, "+/=._-")');

export const regionSchema = z
  .string()
  .trim()
  .regex(/^[a-z0-9-]{2,32}$/, 'must be a region such as us-east-1');

/** restic's `--read-data-subset`: `x%`, `x.y%`, `n/t` or a size such as `500M`. */
export const readDataSubsetSchema = z
  .string()
  .trim()
  .regex(/^(\d{1,3}(\.\d+)?%|\d+\/\d+|\d+[kKmMgGtT]?)$/, 'must be a percentage (5%), a part (1/10) or a size (500M)');

/** `restic forget --keep-…`: at least one kept, at most 10 000 of each. */
export interface Retention {
  readonly daily?: number;
  readonly weekly?: number;
  readonly monthly?: number;
}

const keepSchema = z.number().int('must be a whole number').min(1, 'must be at least 1').max(10_000);

export function parseRetention(r: { daily?: unknown; weekly?: unknown; monthly?: unknown }): Retention | null {
  const out: { daily?: number; weekly?: number; monthly?: number } = {};
  for (const k of ['daily', 'weekly', 'monthly'] as const)
    if (r[k] !== undefined) out[k] = parseInput(keepSchema, r[k], `--keep-${k}`);
  return Object.keys(out).length ? out : null;
}

export const describeRetention = (r: Retention | null | undefined): string =>
  !r
    ? 'keep all'
    : (['daily', 'weekly', 'monthly'] as const)
        .filter((k) => r[k] !== undefined)
        .map((k) => `${r[k]} ${k}`)
        .join(', ');

/** Human form of a location (no secret in it). */
export function describeLocation(l: TargetLocation): string {
  if (l.kind === 'sftp') return `sftp:${l.user}@${l.host}${l.port === 22 ? '' : `:${l.port}`}:${l.path}`;
  return `s3:${l.endpoint}/${l.bucket}${l.prefix ? `/${l.prefix}` : ''}`;
}
