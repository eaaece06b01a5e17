import type { ServerRow } from '../../adapters/store/schema.js';
import type { Cmd } from '../../core/cmd/index.js';
import * as lockCmd from '../../core/commands/lock.js';
import type { Executor } from '../../core/executor.js';
import type { JobContext } from '../../core/jobs.js';
import type { Ctx } from './context.js';
import { lockOnServer } from './lock-on-server.js';
import { newLockOwner } from './remote-lock.js';

/** The lock a job holds on the server (`<root>/locks/<name>.lock`) while it works there. */
export interface ServerLock {
  /** e.g. `appLockName(app.name)`. */
  readonly name: string;
  /** The step that records taking it, right after `connect` (default `lock on server`). */
  readonly step?: string;
  /**
   * The body takes it itself with `session.lock()`, inside one of its own steps: a deploy takes it beside
   * other independent round trips, `db create` after detecting compose. It is released all the same.
   */
  readonly deferred?: boolean;
}

export interface ServerSession {
  /** The job's one connection to the server. */
  readonly ex: Executor;
  /**
   * Takes the declared server lock (once; later calls wait for the same attempt). `firstAttempt`: the result
   * of `lockRequest()` run by the caller (in a batch beside other commands), used instead of a round trip.
   */
  lock(firstAttempt?: { exitCode: number; stdout: string }): Promise<void>;
  /** The command and stdin of a first attempt at the declared lock, to run in a batch (then pass its result to lock). */
  lockRequest(): { cmd: Cmd; stdin: string };
  /**
   * The release of the lock this session holds, for the caller's last script on the server (saving the
   * round trip of releasing it at the end); call `released()` once it ran with exit 0. Null: not held.
   */
  unlockRequest(): { cmd: Cmd; released: () => void } | null;
}

/**
 * One remote session of a job: `connect` (a recorded step), the server lock when one is declared, the body,
 * then — whatever happened (success, error, cancel) — the lock released and the connection closed.
 */
export async function withServer<T>(
  ctx: Ctx,
  job: JobContext,
  server: ServerRow,
  opts: { lock: ServerLock | null },
  fn: (session: ServerSession) => Promise<T>,
): Promise<T> {
  const ex = await job.step('connect', async (s) => {
    const e = await ctx.connect(server, { signal: job.signal });
    s.detail(e.target);
    return e;
  });
  const declared = opts.lock;
  // The one attempt to take the lock (an object: TypeScript does not see the closure assign a `let`).
  const held: { taking: Promise<() => Promise<void>> | null; ok: boolean; releasedByBody: boolean } = {
    taking: null,
    ok: false,
    releasedByBody: false,
  };
  const owner = newLockOwner({ holder: ctx.actor, jobId: job.id, now: ctx.clock.now() });
  const lock = async (firstAttempt?: { exitCode: number; stdout: string }): Promise<void> => {
    if (!declared) throw new Error('withServer: lock() called without a declared lock');
    held.taking ??= lockOnServer(ctx, ex, {
      root: server.root_dir,
      name: declared.name,
      server: server.name,
      jobId: job.id,
      signal: job.signal,
      owner,
      ...(firstAttempt ? { firstAttempt } : {}),
    });
    await held.taking;
    held.ok = true;
  };
  const lockRequest = () => {
    if (!declared) throw new Error('withServer: lockRequest() called without a declared lock');
    return { cmd: lockCmd.acquire(server.root_dir, declared.name), stdin: lockCmd.ownerFile(owner) };
  };
  const unlockRequest = () =>
    declared && held.ok && !held.releasedByBody
      ? {
          cmd: lockCmd.release(server.root_dir, declared.name, owner.token),
          released: () => {
            held.releasedByBody = true;
          },
        }
      : null;
  try {
    if (declared && !declared.deferred) await job.step(declared.step ?? 'lock on server', () => lock());
    return await fn({ ex, lock, lockRequest, unlockRequest });
  } finally {
    // An attempt still in flight (the body failed beside it) is awaited: a lock taken late is released too.
    const unlock = held.taking ? await held.taking.catch(() => null) : null;
    if (unlock && !held.releasedByBody) await unlock().catch(() => undefined);
    // What the session cost, on the job record (`job show`, the API): counted by the executor itself.
    const st = ex.stats();
    job.measure({ roundTrips: st.roundTrips, sshHandshakes: st.handshakes });
    await ex.close();
  }
}
