import { and, type Cmd, exec, or, quietErr, seq, toFile } from '../cmd/index.js';

/**
 * A lock on the server: `mkdir` is atomic on every POSIX filesystem, so whoever creates
 * `<root>/locks/<name>.lock` holds it — even against another control machine. The `owner`
 * file inside says who, since when, for which job, and a token that makes release safe.
 */
export interface RemoteLockOwner {
  holder: string;
  jobId: string | null;
  since: string;
  token: string;
}

/** Exit status of `acquire` when somebody else holds the lock (its owner file is on stdout). */
export const LOCK_HELD_EXIT = 3;

const NAME = /^[a-z0-9][a-z0-9:._-]{0,99}$/;

export function lockPaths(root: string, name: string) {
  if (!root.startsWith('/') || root.split('/').includes('..')) throw new Error(`invalid remote root: ${root}`);
  if (!NAME.test(name) || name.includes('..')) throw new Error(`invalid lock name: ${name}`);
  const dir = `${root.replace(/\/+$/, '')}/locks`;
  const lock = `${dir}/${name}.lock`;
  return { dir, lock, owner: `${lock}/owner`, tmp: `${lock}/owner.tmp` };
}

const oneLine = (s: string) => s.replace(/[\r\n]+/g, ' ');

/** The owner file's content, sent over stdin (never on the command line). */
export function ownerFile(o: RemoteLockOwner): string {
  return `holder=${oneLine(o.holder)}\njob=${oneLine(o.jobId ?? '')}\nsince=${oneLine(o.since)}\ntoken=${oneLine(o.token)}\n`;
}

export function parseOwner(text: string): RemoteLockOwner | null {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1));
  }
  if (!kv.has('holder') && !kv.has('token')) return null;
  return {
    holder: kv.get('holder') ?? 'unknown',
    jobId: kv.get('job') || null,
    since: kv.get('since') ?? '',
    token: kv.get('token') ?? '',
  };
}

/**
 * Takes the lock and writes the owner file from stdin (temp file + mv, so a contender never reads
 * half of it). Exit 0: ours. Exit 3: held, the current owner file on stdout.
 */
export function acquire(root: string, name: string): Cmd {
  const p = lockPaths(root, name);
  return and(
    exec('mkdir', '-p', '--', p.dir),
    or(
      and(quietErr(exec('mkdir', '--', p.lock)), toFile(exec('cat'), p.tmp), exec('mv', '-f', '--', p.tmp, p.owner)),
      seq(quietErr(exec('cat', '--', p.owner)), exec('exit', String(LOCK_HELD_EXIT))),
    ),
  );
}

/**
 * `acquire` with the owner file's content in the command itself instead of stdin, for a script whose stdin
 * carries something else (the proxy switch: the Caddy config). The owner file is no secret: its token is on
 * the command line of `release` anyway.
 */
export function acquireWithOwner(root: string, name: string, owner: RemoteLockOwner): Cmd {
  const p = lockPaths(root, name);
  return and(
    exec('mkdir', '-p', '--', p.dir),
    or(
      and(
        quietErr(exec('mkdir', '--', p.lock)),
        toFile(exec('printf', '%s', ownerFile(owner)), p.tmp),
        exec('mv', '-f', '--', p.tmp, p.owner),
      ),
      seq(quietErr(exec('cat', '--', p.owner)), exec('exit', String(LOCK_HELD_EXIT))),
    ),
  );
}

/** Removes the lock only if its owner file still carries our token. Exit 1: not ours (or gone). */
export function release(root: string, name: string, token: string): Cmd {
  const p = lockPaths(root, name);
  return and(quietErr(exec('grep', '-qxF', '--', `token=${token}`, p.owner)), exec('rm', '-rf', '--', p.lock));
}

/** The owner file of a lock on stdout; non-zero exit when the lock is not held. */
export const readOwner = (root: string, name: string): Cmd => quietErr(exec('cat', '--', lockPaths(root, name).owner));

/** Removes a lock whoever holds it, printing the owner it had (explicit `lock break`). */
export function breakLock(root: string, name: string): Cmd {
  const p = lockPaths(root, name);
  return seq(quietErr(exec('cat', '--', p.owner)), exec('rm', '-rf', '--', p.lock));
}

/** Every held lock as `<path>\t<key=value>` lines (empty output when there are none). */
export function list(root: string): Cmd {
  const { dir } = lockPaths(root, 'x');
  return quietErr(
    exec(
      'find',
      dir,
      '-mindepth',
      '2',
      '-maxdepth',
      '2',
      '-name',
      'owner',
      '-exec',
      'awk',
      '{ print FILENAME "\\t" $0 }',
      '{}',
      '+',
    ),
  );
}

/** Parses `list` output into lock name → owner. */
export function parseList(stdout: string): { name: string; owner: RemoteLockOwner }[] {
  const byPath = new Map<string, string[]>();
  for (const line of stdout.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const path = line.slice(0, tab);
    byPath.set(path, [...(byPath.get(path) ?? []), line.slice(tab + 1)]);
  }
  const out: { name: string; owner: RemoteLockOwner }[] = [];
  for (const [path, lines] of byPath) {
    const m = /\/([^/]+)\.lock\/owner$/.exec(path);
    const owner = parseOwner(lines.join('\n'));
    if (m && owner) out.push({ name: m[1] as string, owner });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
