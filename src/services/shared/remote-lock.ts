import { randomBytes } from 'node:crypto';
import type { RemoteLockOwner } from '../../core/commands/lock.js';
import * as lockCmd from '../../core/commands/lock.js';
import { InfraktError } from '../../core/errors.js';
import { commandFailed, type Executor } from '../../core/executor.js';

export type { RemoteLockOwner } from '../../core/commands/lock.js';

/** A lock this process holds on a server; pass it back to releaseRemoteLock. */
export interface RemoteLock {
  readonly root: string;
  readonly name: string;
  readonly owner: RemoteLockOwner;
}

export interface AcquireRemoteLockOptions {
  /** The server's state root, e.g. `/opt/infrakt`. */
  root: string;
  /** e.g. `app-api` (`[a-z0-9][a-z0-9:._-]*`). */
  name: string;
  /** Who takes it, e.g. `alice@laptop (cli), pid 123 on laptop`. */
  holder: string;
  jobId?: string | null;
  /** Server name for the hint of a LOCKED error. */
  server?: string;
  now?: Date;
  /** Keep trying this long (every 500 ms) before giving up with LOCKED. */
  waitMs?: number;
  signal?: AbortSignal;
  /** Lets the caller declare a held lock stale (e.g. its holder process on this machine is gone): it is broken once. */
  isStale?: (owner: RemoteLockOwner) => boolean | Promise<boolean>;
  /** The owner to write (see `newLockOwner`), when the first attempt ran elsewhere (in a batch). */
  owner?: RemoteLockOwner;
  /** The result of a first attempt already made with `owner` (`lockCmd.acquire` in a batch): not run again. */
  firstAttempt?: { exitCode: number; stdout: string; stderr?: string };
}

/** Who takes a lock: written into its owner file; the token makes the release safe. */
export function newLockOwner(o: { holder: string; jobId?: string | null; now?: Date }): RemoteLockOwner {
  return {
    holder: o.holder,
    jobId: o.jobId ?? null,
    since: (o.now ?? new Date()).toISOString(),
    token: randomBytes(12).toString('hex'),
  };
}

const POLL_MS = 500;

/** Takes `<root>/locks/<name>.lock` on the server: one round trip; contention → LOCKED naming the holder. */
export async function acquireRemoteLock(ex: Executor, o: AcquireRemoteLockOptions): Promise<RemoteLock> {
  const owner = o.owner ?? newLockOwner(o);
  const cmd = lockCmd.acquire(o.root, o.name);
  const started = Date.now();
  let broke = false;
  let unreadable = 0;
  let first = o.firstAttempt;
  for (;;) {
    const r = first
      ? { stderr: '', durationMs: 0, ...first }
      : await ex.run(cmd, { stdin: lockCmd.ownerFile(owner), signal: o.signal });
    first = undefined;
    if (r.exitCode === 0) return { root: o.root, name: o.name, owner };
    if (r.exitCode !== lockCmd.LOCK_HELD_EXIT) throw commandFailed(ex.target, cmd, r, 'taking the server lock');
    const current = lockCmd.parseOwner(r.stdout);
    // The winner's owner file appears just after its mkdir: look again shortly rather than report "unknown".
    if (!current && unreadable++ < 10) {
      await new Promise((res) => setTimeout(res, 50));
      continue;
    }
    if (current && !broke && (await o.isStale?.(current))) {
      broke = true;
      await ex.run(lockCmd.breakLock(o.root, o.name), { signal: o.signal });
      continue;
    }
    if (Date.now() - started + POLL_MS > (o.waitMs ?? 0)) throw remoteLockedError(ex.target, o, current);
    await new Promise((res) => setTimeout(res, POLL_MS));
    if (o.signal?.aborted) throw new InfraktError('CANCELLED', 'cancelled while waiting for the server lock');
  }
}

/** Releases a lock if it is still ours (a lock broken and re-taken by someone else is left alone). */
export async function releaseRemoteLock(ex: Executor, lock: RemoteLock): Promise<{ released: boolean }> {
  const r = await ex.run(lockCmd.release(lock.root, lock.name, lock.owner.token));
  return { released: r.exitCode === 0 };
}

/** Who holds a lock on the server, or null. */
export async function readRemoteLock(ex: Executor, o: { root: string; name: string }): Promise<RemoteLockOwner | null> {
  const r = await ex.run(lockCmd.readOwner(o.root, o.name));
  return r.exitCode === 0 ? lockCmd.parseOwner(r.stdout) : null;
}

/** Every lock held on the server. */
export async function listRemoteLocks(
  ex: Executor,
  o: { root: string },
): Promise<{ name: string; owner: RemoteLockOwner }[]> {
  const r = await ex.run(lockCmd.list(o.root));
  return lockCmd.parseList(r.stdout);
}

/** Removes a lock whoever holds it (explicit user decision). Returns the owner it had; NOT_FOUND if none. */
export async function breakRemoteLock(ex: Executor, o: { root: string; name: string }): Promise<RemoteLockOwner> {
  const cmd = lockCmd.breakLock(o.root, o.name);
  const r = await ex.run(cmd);
  const owner = lockCmd.parseOwner(r.stdout);
  if (r.exitCode !== 0) throw commandFailed(ex.target, cmd, r, 'breaking the server lock');
  if (!owner) throw new InfraktError('NOT_FOUND', `no lock '${o.name}' on ${ex.target}`);
  return owner;
}

export function remoteLockedError(target: string, o: { name: string; server?: string }, owner: RemoteLockOwner | null) {
  const who = owner
    ? `${owner.holder}${owner.since ? ` since ${owner.since}` : ''}${owner.jobId ? ` (job ${owner.jobId})` : ''}`
    : 'another process (its owner file is being written or unreadable)';
  return new InfraktError('LOCKED', `${o.name} on ${target} is locked by ${who}`, {
    hint: `wait for it to finish; if that process is gone: infrakt lock break ${o.name} --server ${o.server ?? '<server>'}`,
    details: {
      lock: o.name,
      host: target,
      holder: owner?.holder ?? null,
      since: owner?.since ?? null,
      holderJobId: owner?.jobId ?? null,
    },
  });
}
