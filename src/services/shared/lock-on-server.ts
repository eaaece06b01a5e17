import type { Executor } from '../../core/executor.js';
import type { Ctx } from './context.js';
import { acquireRemoteLock, type RemoteLockOwner, releaseRemoteLock } from './remote-lock.js';

/**
 * A lock held by a job this store knows has ended (a CLI killed mid-deploy) is stale: the job runner marks
 * such jobs interrupted, so the lock is taken over instead of blocking the next deploy.
 */
export function staleInStore(ctx: Ctx): (owner: RemoteLockOwner) => Promise<boolean> {
  return async (owner) => {
    if (!owner.jobId) return false;
    const row = await ctx.store.db.selectFrom('jobs').select('status').where('id', '=', owner.jobId).executeTakeFirst();
    return row !== undefined && row.status !== 'running' && row.status !== 'queued';
  };
}

/**
 * Takes the server-side lock `name` (under `<root>/locks/`), so that two infrakt installations never act on one
 * app (or one Caddy config) at once. Returns the release function.
 */
export async function lockOnServer(
  ctx: Ctx,
  ex: Executor,
  o: {
    root: string;
    name: string;
    server: string;
    jobId: string | null;
    waitMs?: number;
    signal?: AbortSignal;
    owner?: RemoteLockOwner;
    firstAttempt?: { exitCode: number; stdout: string; stderr?: string };
  },
): Promise<() => Promise<void>> {
  const lock = await acquireRemoteLock(ex, {
    root: o.root,
    name: o.name,
    holder: ctx.actor,
    jobId: o.jobId,
    server: o.server,
    now: ctx.clock.now(),
    isStale: staleInStore(ctx),
    ...(o.waitMs ? { waitMs: o.waitMs } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.owner ? { owner: o.owner } : {}),
    ...(o.firstAttempt ? { firstAttempt: o.firstAttempt } : {}),
  });
  return async () => {
    await releaseRemoteLock(ex, lock);
  };
}

export const appLockName = (app: string): string => `app-${app}`;
export const proxyLockName = 'proxy';
