import type BetterSqlite3 from 'better-sqlite3';
import { InfraktError, notFound } from '../../core/errors.js';
import { displayRunner, type Liveness, liveness } from './identity.js';

/** A lock held in the local store (`locks` table), e.g. `app:12` for the duration of a deploy job. */
export interface StoreLock {
  name: string;
  jobId: string | null;
  /** Who holds it, e.g. `alice@laptop (cli), pid 123 on laptop`. */
  holder: string;
  acquiredAt: string;
  /** `dead`: the holding process is gone (auto-released on the next attempt); `unknown`: another host. */
  holderState: Liveness;
  /** Status of the holding job, when it has one. */
  jobStatus: string | null;
}

interface LockRow {
  name: string;
  job_id: string | null;
  holder: string;
  acquired_at: string;
  job_status: string | null;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);
const LOCK_NAME = /^[a-z][a-z0-9-]*(:[A-Za-z0-9._-]+)*$/;

export function checkLockName(name: string): string {
  if (!LOCK_NAME.test(name) || name.length > 200) {
    throw new InfraktError('VALIDATION', `invalid lock name '${name}'`, { hint: 'lock names look like app:12' });
  }
  return name;
}

const SELECT = `SELECT l.name, l.job_id, l.holder, l.acquired_at, j.status AS job_status
  FROM locks l LEFT JOIN jobs j ON j.id = l.job_id`;

function toLock(r: LockRow): StoreLock {
  return {
    name: r.name,
    jobId: r.job_id,
    holder: displayRunner(r.holder),
    acquiredAt: r.acquired_at,
    holderState: liveness(r.holder),
    jobStatus: r.job_status,
  };
}

/** A lock is stale when its process is gone from this host, or the job it was taken for has ended. */
export function isStale(lock: StoreLock): boolean {
  return lock.holderState === 'dead' || (lock.jobStatus !== null && TERMINAL.has(lock.jobStatus));
}

export function lockedError(lock: StoreLock, now: Date = new Date()): InfraktError {
  const ago = Math.max(0, Math.round((now.getTime() - Date.parse(lock.acquiredAt)) / 1000));
  const job = lock.jobId ? `, job ${lock.jobId}` : '';
  const remote = lock.holderState === 'unknown';
  return new InfraktError(
    'LOCKED',
    `${lock.name} is locked by ${lock.holder} since ${lock.acquiredAt} (${ago}s ago${job})`,
    {
      hint: remote
        ? `wait for it to finish; if that process is gone, break the lock: infrakt lock break ${lock.name}`
        : `wait for it to finish (infrakt job list --status running), or cancel it: infrakt job cancel ${lock.jobId ?? '<id>'}`,
      details: { lock: lock.name, holder: lock.holder, since: lock.acquiredAt, holderJobId: lock.jobId },
    },
  );
}

export interface AcquireResult {
  ok: boolean;
  /** The lock that blocked us (ok = false). */
  blocker?: StoreLock;
  /** Stale locks removed on the way (to be logged). */
  released: StoreLock[];
}

/**
 * Takes every named lock or none, in one IMMEDIATE transaction (the write lock on the database file
 * makes check-then-insert atomic across processes). Stale locks are released on the way.
 */
function tryAcquire(
  raw: BetterSqlite3.Database,
  names: readonly string[],
  owner: { jobId: string; holder: string; now: string },
): AcquireResult {
  const get = raw.prepare(`${SELECT} WHERE l.name = ?`);
  const del = raw.prepare('DELETE FROM locks WHERE name = ? AND holder = ? AND acquired_at = ?');
  const ins = raw.prepare('INSERT INTO locks (name, job_id, holder, acquired_at) VALUES (?, ?, ?, ?)');
  return raw
    .transaction((): AcquireResult => {
      const released: StoreLock[] = [];
      for (const name of names) {
        const row = get.get(name) as LockRow | undefined;
        if (row) {
          const lock = toLock(row);
          if (row.job_id === owner.jobId) continue;
          if (!isStale(lock)) {
            // Throwing rolls back the locks taken earlier in this transaction.
            throw new BlockedError(lock, released);
          }
          del.run(row.name, row.holder, row.acquired_at);
          released.push(lock);
        }
        ins.run(name, owner.jobId, owner.holder, owner.now);
      }
      return { ok: true, released };
    })
    .immediate();
}

class BlockedError extends Error {
  constructor(
    readonly blocker: StoreLock,
    readonly released: StoreLock[],
  ) {
    super('blocked');
  }
}

/** Like tryAcquire, but contention is a result rather than an exception. */
export function acquire(
  raw: BetterSqlite3.Database,
  names: readonly string[],
  owner: { jobId: string; holder: string; now: string },
): AcquireResult {
  try {
    return tryAcquire(raw, names, owner);
  } catch (e) {
    if (e instanceof BlockedError) return { ok: false, blocker: e.blocker, released: [] };
    throw e;
  }
}

/** Releases the locks a job holds (only its own: a broken-and-retaken lock stays with its new owner). */
export function releaseJobLocks(raw: BetterSqlite3.Database, jobId: string): number {
  return raw.prepare('DELETE FROM locks WHERE job_id = ?').run(jobId).changes;
}

export function listLocks(raw: BetterSqlite3.Database): StoreLock[] {
  return (raw.prepare(`${SELECT} ORDER BY l.name`).all() as LockRow[]).map(toLock);
}

/** Explicitly removes a lock (the user decided its holder is gone). Returns what was removed. */
export function breakLock(raw: BetterSqlite3.Database, name: string): StoreLock {
  const row = raw.prepare(`${SELECT} WHERE l.name = ?`).get(checkLockName(name)) as LockRow | undefined;
  if (!row) throw notFound('lock', name, 'list locks with: infrakt lock list');
  raw.prepare('DELETE FROM locks WHERE name = ? AND acquired_at = ?').run(row.name, row.acquired_at);
  return toLock(row);
}
