import { breakLock, isStale, listLocks, type StoreLock } from '../../adapters/jobs/locks.js';
import type { RemoteLockOwner } from '../../core/commands/lock.js';
import { InfraktError } from '../../core/errors.js';
import type { Executor } from '../../core/executor.js';
import { getServerRow } from '../servers/servers.js';
import type { Ctx } from '../shared/context.js';
import { breakRemoteLock, listRemoteLocks } from '../shared/remote-lock.js';

/** `lock list`: the locks held in the local store (one per running job's app or server), by name. */
export async function listLocalLocks(ctx: Ctx): Promise<StoreLock[]> {
  return listLocks(ctx.store.db);
}

/**
 * `lock break <name>`: removes a lock of the local store and returns it. A lock whose holder process is still
 * running here, for a job that has not ended, is refused unless `force`: breaking it would let a second job run
 * beside the first (cancelling the job releases it properly).
 */
export async function breakLocalLock(ctx: Ctx, name: string, opts: { force?: boolean } = {}): Promise<StoreLock> {
  if (!opts.force) {
    const held = (await listLocks(ctx.store.db)).find((l) => l.name === name);
    if (held?.holderState === 'alive' && !isStale(held)) {
      throw new InfraktError('CONFLICT', `lock ${name} is held by a running process: ${held.holder}`, {
        hint: `cancel its job instead (infrakt job cancel ${held.jobId ?? '<id>'}), or pass --force`,
      });
    }
  }
  return breakLock(ctx.store.db, name);
}

async function onServer<T>(ctx: Ctx, name: string, fn: (ex: Executor, root: string) => Promise<T>): Promise<T> {
  const server = await getServerRow(ctx, name);
  const ex = await ctx.connect(server);
  try {
    return await fn(ex, server.root_dir);
  } finally {
    await ex.close();
  }
}

/** `lock list --server`: the locks held on a server (under its root), in one round trip. */
export function listServerLocks(ctx: Ctx, server: string): Promise<{ name: string; owner: RemoteLockOwner }[]> {
  return onServer(ctx, server, (ex, root) => listRemoteLocks(ex, { root }));
}

/** `lock break --server`: removes a lock on a server whoever holds it; returns the owner it had. */
export function breakServerLock(ctx: Ctx, server: string, name: string): Promise<RemoteLockOwner> {
  return onServer(ctx, server, (ex, root) => breakRemoteLock(ex, { root, name }));
}
