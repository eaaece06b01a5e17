import { type Cmd, exec, quietErr, toFile } from '../cmd/index.js';
import { quote } from '../cmd/render.js';
import type { Retention, TargetLocation } from '../schemas/backup-target.js';
import { Secret } from '../secret.js';

/**
 * restic on the server. Secrets never reach a command line: the repository password is a 0600 file named by
 * RESTIC_PASSWORD_FILE, S3 keys are environment variables sourced from a 0600 file inside a constant script, the
 * SFTP key and the pinned host keys are 0600 files named in `sftp.command`. All of them live in one per-run
 * directory (the "credentials dir") that the service creates before and removes after the run.
 */

/** Names of the files in a credentials dir. */
export const CRED_FILES = {
  password: 'password',
  env: 'env',
  sshKey: 'ssh-key',
  knownHosts: 'known_hosts',
  caCert: 'cacert.pem',
} as const;

/**
 * Constant text run as `sh -c RESTIC_WRAPPER restic <credentials dir> <restic args…>`: points restic at the
 * password file, exports the variables of the env file (written by infrakt with POSIX quoting), runs restic.
 */
export const RESTIC_WRAPPER =
  'd=$1; shift; export RESTIC_PASSWORD_FILE="$d/password"; ' +
  // A systemd unit has no HOME: restic's cache then goes beside the credentials (0700) instead of nowhere.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
  'if [ -z "${HOME:-}" ] && [ -z "${XDG_CACHE_HOME:-}" ]; then export XDG_CACHE_HOME="$d/.cache"; fi; ' +
  'if [ -f "$d/env" ]; then set -a; . "$d/env"; set +a; fi; exec restic "$@"';

/** A repository as restic is told about it: `-r` plus global options (no secret in either). */
export interface ResticRepo {
  readonly repository: string;
  readonly options: readonly string[];
}

/** A local repository on the server (app volume backups without a target). */
export interface LocalRepoLocation {
  readonly kind: 'local';
  readonly path: string;
}

/** ssh as restic's SFTP transport: only the pinned host keys are accepted, never a prompt. */
export function sftpCommand(l: Extract<TargetLocation, { kind: 'sftp' }>, credDir: string, withKey: boolean): string {
  return [
    'ssh',
    '-p',
    String(l.port),
    ...(withKey ? ['-i', `${credDir}/${CRED_FILES.sshKey}`, '-o', 'IdentitiesOnly=yes'] : []),
    '-o',
    `UserKnownHostsFile=${credDir}/${CRED_FILES.knownHosts}`,
    '-o',
    'GlobalKnownHostsFile=/dev/null',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=20',
    '-o',
    'ServerAliveInterval=15',
    `${l.user}@${l.host}`,
    '-s',
    'sftp',
  ].join(' ');
}

export function resticRepo(l: TargetLocation | LocalRepoLocation, credDir: string, withSshKey = false): ResticRepo {
  switch (l.kind) {
    case 'local':
      return { repository: l.path, options: [] };
    case 'sftp':
      return {
        repository: `sftp:${l.user}@${l.host}:${l.path}`,
        options: ['-o', `sftp.command=${sftpCommand(l, credDir, withSshKey)}`],
      };
    case 's3':
      return {
        repository: `s3:${l.endpoint}/${l.bucket}${l.prefix ? `/${l.prefix}` : ''}`,
        options: [
          '-o',
          's3.bucket-lookup=path',
          ...(l.region ? ['-o', `s3.region=${l.region}`] : []),
          ...(l.caCert ? ['--cacert', `${credDir}/${CRED_FILES.caCert}`] : []),
        ],
      };
  }
}

/** `restic <args>` through the wrapper, for a repository and its credentials dir. */
export const restic = (repo: ResticRepo, credDir: string, ...args: string[]): Cmd =>
  exec('sh', '-c', RESTIC_WRAPPER, 'restic', credDir, ...repo.options, '-r', repo.repository, ...args);

/** The S3 keys as a file of POSIX-quoted assignments (sourced by RESTIC_WRAPPER). */
export function s3EnvFile(accessKeyId: string, secretAccessKey: Secret, region: string | null): Secret {
  const vars: [string, string][] = [
    ['AWS_ACCESS_KEY_ID', accessKeyId],
    ['AWS_SECRET_ACCESS_KEY', secretAccessKey.reveal()],
  ];
  if (region) vars.push(['AWS_DEFAULT_REGION', region]);
  return new Secret(`${vars.map(([k, v]) => `${k}=${quote(v)}`).join('\n')}\n`);
}

/** known_hosts lines for the pinned keys (`[host]:port` form for a port other than 22). */
export function knownHostsFile(host: string, port: number, keys: readonly string[]): string {
  const name = port === 22 ? host : `[${host}]:${port}`;
  return keys.map((k) => `${name} ${k}\n`).join('');
}

// --- subcommands -------------------------------------------------------------------------------

/** Exit 0 when the repository exists and the password opens it. */
export const catConfig = (): string[] => ['cat', 'config'];
export const init = (): string[] => ['init'];

export interface SnapshotFilter {
  readonly host?: string;
  readonly tag?: string;
}
const filterArgs = (f: SnapshotFilter): string[] => [
  ...(f.host ? ['--host', f.host] : []),
  ...(f.tag ? ['--tag', f.tag] : []),
];

/** Tags infrakt puts on its snapshots: `infrakt` and `db:<name>` / `app:<name>`. */
export const subjectTag = (kind: 'db' | 'app', name: string): string => `${kind}:${name}`;

/** `backup --json`: the summary line carries the snapshot id. The host is the infrakt server name. */
export function backup(paths: readonly string[], o: { host: string; tags: readonly string[] }): string[] {
  return ['backup', '--json', '--host', o.host, ...o.tags.flatMap((t) => ['--tag', t]), '--', ...paths];
}

export const snapshots = (f: SnapshotFilter = {}): string[] => ['snapshots', '--json', ...filterArgs(f)];

/**
 * Retention per subject: snapshots are grouped by host and tags (each backup's paths differ: the dump file names
 * carry their time), then `--prune` removes the data no kept snapshot needs.
 */
export function forget(r: Retention, f: Required<SnapshotFilter>): string[] {
  const keep = (['daily', 'weekly', 'monthly'] as const).flatMap((k) =>
    r[k] === undefined ? [] : [`--keep-${k}`, String(r[k])],
  );
  if (keep.length === 0) throw new Error('forget needs at least one --keep-… rule');
  return ['forget', '--json', ...filterArgs(f), '--group-by', 'host,tags', ...keep, '--prune'];
}

/** Structure check plus a bounded read of the data packs. */
export const check = (readDataSubset: string): string[] => ['check', '--read-data-subset', readDataSubset];
export const ls = (snapshot: string): string[] => ['ls', '--json', snapshot];
export const dump = (snapshot: string, path: string): string[] => ['dump', snapshot, path];
export const restoreTo = (snapshot: string, target: string, includes: readonly string[]): string[] => [
  'restore',
  snapshot,
  '--target',
  target,
  ...includes.flatMap((i) => ['--include', i]),
];

/** A file of a snapshot written to `dest` on the server. */
export const dumpToFile = (repo: ResticRepo, credDir: string, snapshot: string, path: string, dest: string): Cmd =>
  toFile(restic(repo, credDir, ...dump(snapshot, path)), dest);

/** The target's host keys as seen from the server (`host type base64` lines). */
export const keyscan = (host: string, port: number): Cmd =>
  quietErr(exec('ssh-keyscan', '-T', '15', '-p', String(port), '-t', 'ed25519,ecdsa,rsa', host));

/** Exit 0 when restic is installed on the server; its version on stdout. */
export const version = (): Cmd => exec('restic', 'version');
