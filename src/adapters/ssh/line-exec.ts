import type { ClientChannel } from 'ssh2';
import { InfraktError } from '../../core/errors.js';
import type { ChannelExecOptions, ChannelHost } from './channel-exec.js';
import { cancelled, connectionLost, signalExitCode, timedOut } from './exec-errors.js';

// TERM, then KILL after this long, then give up waiting for the channel after as long again.
const SIGNAL_GRACE_MS = 3_000;

/**
 * Runs a user's command line exactly as `ssh host '<line>'` does: the exec request carries the line
 * and sshd hands it to the account's login shell (its syntax, its rc files: one shell start-up,
 * `server exec`). No wrapper is needed for timeout and cancel: sshd starts every session in its own
 * session and process group, and the SSH "signal" request makes it killpg() that group (OpenSSH
 * 7.9+). Where the server ignores signal requests the channel is closed after the grace time and
 * the error says the command may still be running.
 */
export function lineExec(host: ChannelHost, line: string, o: ChannelExecOptions): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let settled = false;
    let acquired = false;
    const lease = host.pool.acquireChannel();
    let channel: ClientChannel | undefined;
    let stopping: InfraktError | null = null;
    let exitCode: number | null = null;
    const timers: NodeJS.Timeout[] = [];

    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      o.signal?.removeEventListener('abort', onAbort);
      if (acquired) host.pool.releaseChannel();
      else lease.cancel();
      acquired = false;
      fn();
    };
    const later = (ms: number, fn: () => void) => {
      const t = setTimeout(fn, ms);
      t.unref?.();
      timers.push(t);
    };

    // TERM the session's process group, KILL it after a grace, then stop waiting for the channel.
    const signalKill = (ch: ClientChannel, err: InfraktError) => {
      ch.signal('TERM');
      later(SIGNAL_GRACE_MS, () => {
        ch.signal('KILL');
        later(SIGNAL_GRACE_MS, () => {
          ch.close();
          const unconfirmed = new InfraktError(err.code, `${err.message}; the server did not confirm the kill`, {
            hint: 'the command may still be running there (servers before OpenSSH 7.9 ignore signal requests)',
            details: { ...err.details, killConfirmed: false },
          });
          settle(() => reject(unconfirmed));
        });
      });
    };

    const stop = (err: InfraktError) => {
      if (settled || stopping) return;
      stopping = err;
      if (!acquired) return settle(() => reject(err)); // still queued: nothing runs remotely
      if (channel) signalKill(channel, err);
      // else the channel is being opened: it is killed as soon as it is there
    };

    const onAbort = () => stop(cancelled(host.target, o.shown));
    if (o.timeoutMs && o.timeoutMs > 0) {
      const ms = o.timeoutMs;
      later(ms, () => stop(timedOut(host.target, o.shown, ms)));
    }
    if (o.signal?.aborted) return onAbort();
    o.signal?.addEventListener('abort', onAbort, { once: true });

    void lease.promise.then(() => {
      if (settled) return host.pool.releaseChannel();
      acquired = true;
      if (!host.alive()) return settle(() => reject(connectionLost(host.target, o.shown)));
      host.counters.channelOpened();
      host.counters.roundTrips++;
      try {
        host.client.exec(line, (err, ch) => {
          if (err) return settle(() => reject(connectionLost(host.target, o.shown, err.message)));
          channel = ch;
          if (stopping) signalKill(ch, stopping);
          ch.on('data', (b: Buffer) => o.onStdout(b));
          ch.stderr.on('data', (b: Buffer) => o.onStderr(b));
          ch.on('exit', (code: number | null, sig?: string) => {
            exitCode = typeof code === 'number' ? code : signalExitCode(sig);
          });
          ch.on('close', (code?: number | null, sig?: string) => {
            if (stopping) {
              const e = stopping;
              return settle(() => reject(e));
            }
            if (exitCode === null && typeof code === 'number') exitCode = code;
            else if (exitCode === null && typeof sig === 'string') exitCode = signalExitCode(sig);
            const c = exitCode;
            if (c === null) return settle(() => reject(connectionLost(host.target, o.shown)));
            settle(() => resolve(c));
          });
          ch.end(o.stdin ?? undefined);
        });
      } catch (e) {
        settle(() => reject(connectionLost(host.target, o.shown, (e as Error).message)));
      }
    });
  });
}
