/** Parsers of restic's `--json` output (restic 0.14+) and of ssh-keyscan. Pure; invalid lines are skipped. */

export interface Snapshot {
  id: string;
  shortId: string;
  time: string;
  host: string;
  tags: string[];
  paths: string[];
}

const parseJson = (line: string): unknown => {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
};
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function toSnapshot(o: Record<string, unknown>): Snapshot | null {
  const id = str(o.id);
  if (!/^[0-9a-f]{8,64}$/.test(id)) return null;
  return {
    id,
    shortId: str(o.short_id) || id.slice(0, 8),
    time: str(o.time),
    host: str(o.hostname),
    tags: strs(o.tags),
    paths: strs(o.paths),
  };
}

/** `restic snapshots --json`: oldest first, as restic prints them. */
export function parseSnapshots(stdout: string): Snapshot[] {
  const all = parseJson(stdout.trim() || '[]');
  if (!Array.isArray(all)) return [];
  return all.flatMap((o) => (isObj(o) ? (toSnapshot(o) ?? []) : []));
}

export interface BackupSummary {
  snapshotId: string;
  filesNew: number;
  dataAdded: number;
  bytesProcessed: number;
  seconds: number;
}

/** The summary line of `restic backup --json` (null when the backup did not finish). */
export function parseBackupSummary(stdout: string): BackupSummary | null {
  for (const line of stdout.split('\n').reverse()) {
    const o = parseJson(line);
    if (!isObj(o) || o.message_type !== 'summary') continue;
    const id = str(o.snapshot_id);
    if (!/^[0-9a-f]{8,64}$/.test(id)) return null;
    const num = (v: unknown) => (typeof v === 'number' ? v : 0);
    return {
      snapshotId: id,
      filesNew: num(o.files_new),
      dataAdded: num(o.data_added),
      bytesProcessed: num(o.total_bytes_processed),
      seconds: num(o.total_duration),
    };
  }
  return null;
}

export interface LsNode {
  path: string;
  type: string;
  size: number;
}

/** `restic ls --json <snapshot>`: the snapshot line, then one line per node. */
export function parseLs(stdout: string): LsNode[] {
  const out: LsNode[] = [];
  for (const line of stdout.split('\n')) {
    const o = parseJson(line);
    if (!isObj(o) || o.struct_type !== 'node') continue;
    out.push({ path: str(o.path), type: str(o.type), size: typeof o.size === 'number' ? o.size : 0 });
  }
  return out;
}

/** `restic forget --json`: ids kept and removed over all groups. */
export function parseForget(stdout: string): { kept: string[]; removed: string[] } {
  const groups = parseJson(
    stdout
      .trim()
      .split('\n')
      .find((l) => l.startsWith('[')) ?? '[]',
  );
  const kept: string[] = [];
  const removed: string[] = [];
  if (Array.isArray(groups))
    for (const g of groups) {
      if (!isObj(g)) continue;
      for (const s of Array.isArray(g.keep) ? g.keep : []) if (isObj(s)) kept.push(str(s.id));
      for (const s of Array.isArray(g.remove) ? g.remove : []) if (isObj(s)) removed.push(str(s.id));
    }
  return { kept, removed };
}

export type ResticFailure =
  | 'wrong-password'
  | 'no-repository'
  | 'host-key'
  | 'auth'
  | 'locked'
  | 'unreachable'
  | 'other';

/**
 * What went wrong, from restic's stderr: only to word the error and its hint (decisions use exit codes).
 * restic 0.14 exits 1 for every fatal error; newer versions add codes (10: no repository, 11: locked, 12: password).
 */
export function classifyResticFailure(exitCode: number, stderr: string): ResticFailure {
  if (exitCode === 12 || /wrong password or no key found/i.test(stderr)) return 'wrong-password';
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No .* host key is known/i.test(stderr))
    return 'host-key';
  if (exitCode === 11 || /repository is already locked/i.test(stderr)) return 'locked';
  if (/Permission denied \(publickey|AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch/i.test(stderr))
    return 'auth';
  if (
    exitCode === 10 ||
    /Is there a repository at the following location|config: no such file|NoSuchBucket/i.test(stderr)
  )
    return 'no-repository';
  if (
    /connection refused|no route to host|Could not resolve|i\/o timeout|Connection timed out|unable to start the sftp session/i.test(
      stderr,
    )
  )
    return 'unreachable';
  return 'other';
}

/** Host keys from ssh-keyscan output: `<type> <base64>` lines, ed25519 first. */
export function parseKeyscan(stdout: string): string[] {
  const keys = new Set<string>();
  for (const line of stdout.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const [, type, b64] = line.trim().split(/\s+/);
    if (type && b64 && /^(ssh-ed25519|ecdsa-sha2-nistp\d+|ssh-rsa)$/.test(type) && /^[A-Za-z0-9+/]+=*$/.test(b64))
      keys.add(`${type} ${b64}`);
  }
  const rank = (k: string) => (k.startsWith('ssh-ed25519') ? 0 : k.startsWith('ecdsa') ? 1 : 2);
  return [...keys].sort((a, b) => rank(a) - rank(b));
}
