import type { InfraktError } from '../../core/errors.js';
import { type ChannelExecOptions, type ChannelHost, channelExec, KILL_GRACE_MS, runHelper } from './channel-exec.js';
import { cancelled, connectionLost, shellLost, timedOut } from './exec-errors.js';
import type { OwnChannelReason } from './exec-stats.js';
import { killProcessGroupCommand } from './process-group.js';
import type { RemoteShell } from './remote-shell.js';
import type { ShellPool } from './shell-pool.js';

export interface ShellHost extends ChannelHost {
  readonly pool: ShellPool;
}

/**
 * After a killed command's group is gone its shell must report the end within this long, or it is
 * wedged (stopped, or stuck on something the kill did not reach) and gets replaced.
 */
export const WEDGE_GRACE_MS = 5_000;

/**
 * Runs one command through a persistent shell of the connection (one round trip on an open shell).
 * Timeout and cancel kill the command's process group and leave the shell to the next command; a
 * shell that dies mid-command fails that command (it may or may not have completed) and the pool
 * opens a new one for the next; where shells cannot run, the command gets a channel of its own.
 */
export function shellExec(host: ShellHost, command: string, o: ChannelExecOptions): Promise<number> {
  const started = performance.now();
  const remaining = () => (o.timeoutMs ? Math.max(1, o.timeoutMs - (performance.now() - started)) : undefined);
  const onChannel = (reason: OwnChannelReason): Promise<number> => {
    host.counters.ownChannelFor(reason);
    const t = remaining();
    return channelExec(host, command, { ...o, ...(t ? { timeoutMs: t } : {}) });
  };

  return new Promise<number>((resolve, reject) => {
    let settled = false;
    let shell: RemoteShell | null = null;
    let lease = host.pool.acquireShell();
    let pgid: number | null = null;
    let stopping: InfraktError | null = null;
    let killing = false;
    let ended = false; // the shell reported this command's end (or died)
    let retried = false;

    const cleanup = () => {
      if (timer) clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
    };
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      cleanup();
      fn();
    };
    const handOff = (p: Promise<number>) => settle(() => p.then(resolve, reject));

    // A shell that does not report the end of a command whose group is gone is replaced.
    const watchWedge = (sh: RemoteShell) => {
      const t = setTimeout(() => {
        if (ended || sh.dead) return;
        const pid = sh.pid;
        void (pid ? runHelper(host, `kill -KILL ${Math.trunc(pid)} 2>/dev/null || true`) : Promise.resolve()).then(() =>
          sh.destroy('the remote shell did not come back after a killed command (wedged)'),
        );
      }, WEDGE_GRACE_MS);
      t.unref?.();
    };

    const kill = () => {
      if (killing || pgid === null || !shell) return;
      killing = true;
      const err = stopping as InfraktError;
      const sh = shell;
      // Report once the group is gone (TERM, then KILL), like a channel of its own does.
      void runHelper(host, killProcessGroupCommand(pgid)).then(() => {
        settle(() => reject(err));
        watchWedge(sh);
      });
    };

    const stop = (err: InfraktError) => {
      if (settled || stopping) return;
      stopping = err;
      if (!shell) {
        lease.cancel(); // still waiting for a shell: nothing runs remotely
        return settle(() => reject(err));
      }
      if (pgid !== null) return kill();
      // The group id is on its way: kill() runs when it arrives. A shell that never sends it is stuck.
      const sh = shell;
      setTimeout(() => {
        if (killing || settled) return;
        sh.destroy('the remote shell did not start the command in time');
        settle(() => reject(err));
      }, KILL_GRACE_MS).unref?.();
    };

    const onAbort = () => stop(cancelled(host.target, o.shown));
    const timer =
      o.timeoutMs && o.timeoutMs > 0
        ? setTimeout(() => stop(timedOut(host.target, o.shown, o.timeoutMs ?? 0)), o.timeoutMs)
        : undefined;
    if (o.signal?.aborted) {
      lease.cancel();
      return settle(() => reject(cancelled(host.target, o.shown)));
    }
    o.signal?.addEventListener('abort', onAbort, { once: true });

    const run = (sh: RemoteShell | null) => {
      if (settled) {
        if (sh) host.pool.release(sh); // granted as we stopped waiting: hand it on
        return;
      }
      if (!sh) {
        if (!host.alive()) return settle(() => reject(connectionLost(host.target, o.shown)));
        return handOff(onChannel(host.pool.off ?? 'no-shell'));
      }
      shell = sh;
      host.counters.roundTrips++;
      sh.start(command, o.stdin, {
        onStdout: (b) => {
          if (!settled) o.onStdout(b);
        },
        onStderr: (b) => {
          if (!settled) o.onStderr(b);
        },
        onPgid: (p) => {
          pgid = p;
          if (stopping) kill();
        },
        onEnd: (code) => {
          ended = true;
          if (!stopping) return settle(() => resolve(code));
          // Killed: the kill helper reports once the whole group is gone (the leader went first).
          const err = stopping;
          if (!killing) settle(() => reject(err));
        },
        onLost: (why, begun) => {
          ended = true;
          if (settled) return;
          if (begun) {
            const err = host.alive() ? shellLost(host.target, o.shown, why) : connectionLost(host.target, o.shown, why);
            return settle(() => reject(err));
          }
          // Never started: safe to run it on a new shell (once), or on a channel of its own.
          if (!host.alive()) return settle(() => reject(connectionLost(host.target, o.shown, why)));
          if (stopping) return settle(() => reject(stopping as InfraktError));
          shell = null;
          if (retried || host.pool.unusable !== null) return handOff(onChannel('no-shell'));
          retried = true;
          lease = host.pool.acquireShell();
          void lease.promise.then(run);
        },
      });
    };
    void lease.promise.then(run);
  });
}
