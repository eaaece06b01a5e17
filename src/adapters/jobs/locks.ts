import { InfraktError, notFound } from '../../core/errors.js';
import { isTerminalJob } from '../../core/lifecycle/job-states.js';
import type { Db, Store } from '../store/store.js';
import { displayRunner, type Liveness, liveness } from './identity.js';

/** A lock held in the store (`locks` table), e.g. `app:12` for the duration of a deploy job. */
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

const LOCK_NAME = /^[a-z][a-z0-9-]*(:[A-Za-z0-9._-]+)*$/;

export function checkLockName(name: string): string {
  if (!LOCK_NAME.test(name) || name.length > 200) {
    throw new InfraktError('VALIDATION', `invalid lock name '${name}'`, { hint: 'lock names look like app:12' });
  }
  return name;
}

const selectLocks = (db: Db) =>
  db
    .selectFrom('locks as l')
    .leftJoin('jobs as j', 'j.id', 'l.job_id')
    .select(['l.name', 'l.job_id', 'l.holder', 'l.acquired_at', 'j.status as job_status']);

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
  return lock.holderState === 'dead' || (lock.jobStatus !== null && isTerminalJob(lock.jobStatus));
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

class BlockedError extends Error {
  constructor(readonly blocker: StoreLock) {
    super('blocked');
  }
}

/**
 * Takes every named lock or none, in one exclusive transaction (SQLite: the file's write lock; Postgres: an advisory
 * lock every lock-taker shares), so check-then-insert is atomic across processes and hosts. Stale locks are
 * released on the way; a lock whose holder runs on another host is never taken over.
 */
export async function acquire(
  store: Pick<Store, 'exclusive'>,
  names: readonly string[],
  owner: { jobId: string; holder: string; now: string },
): Promise<AcquireResult> {
  try {
    return await store.exclusive('locks', async (db) => {
      const released: StoreLock[] = [];
      for (const name of names) {
        const row = await selectLocks(db).where('l.name', '=', name).executeTakeFirst();
        if (row) {
          if (row.job_id === owner.jobId) continue;
          const lock = toLock(row);
          // Throwing rolls back the locks taken earlier in this transaction.
          if (!isStale(lock)) throw new BlockedError(lock);
          await db
            .deleteFrom('locks')
            .where('name', '=', row.name)
            .where('holder', '=', row.holder)
            .where('acquired_at', '=', row.acquired_at)
            .execute();
          released.push(lock);
        }
        await db
          .insertInto('locks')
          .values({ name, job_id: owner.jobId, holder: owner.holder, acquired_at: owner.now })
          .execute();
      }
      return { ok: true, released };
    });
  } catch (e) {
    if (e instanceof BlockedError) return { ok: false, blocker: e.blocker, released: [] };
    throw e;
  }
}

/** Releases the locks a job holds (only its own: a broken-and-retaken lock stays with its new owner). */
export async function releaseJobLocks(db: Db, jobId: string): Promise<number> {
  const r = await db.deleteFrom('locks').where('job_id', '=', jobId).executeTakeFirst();
  return Number(r.numDeletedRows);
}

export async function listLocks(db: Db): Promise<StoreLock[]> {
  return (await selectLocks(db).orderBy('l.name').execute()).map(toLock);
}

/** Explicitly removes a lock (the user decided its holder is gone). Returns what was removed. */
export async function breakLock(db: Db, name: string): Promise<StoreLock> {
  const row = await selectLocks(db).where('l.name', '=', checkLockName(name)).executeTakeFirst();
  if (!row) throw notFound('lock', name, 'list locks with: infrakt lock list');
  await db.deleteFrom('locks').where('name', '=', row.name).where('acquired_at', '=', row.acquired_at).execute();
  return toLock(row);
}
