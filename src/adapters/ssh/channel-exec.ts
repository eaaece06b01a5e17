import type { Readable } from 'node:stream';
import type { Client, ClientChannel } from 'ssh2';
import { InfraktError } from '../../core/errors.js';
import { cancelled, connectionLost, signalExitCode, timedOut } from './exec-errors.js';
import type { ExecCounters } from './exec-stats.js';
import { killProcessGroupCommand, MarkerParser, wrapInProcessGroup } from './process-group.js';
import type { ShellPool } from './shell-pool.js';

export interface ChannelExecOptions {
  readonly stdin?: Buffer | undefined;
  /** A byte stream piped into the command's stdin instead (uploads); its error stops the command. */
  readonly input?: Readable | undefined;
  readonly timeoutMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly onStdout: (chunk: Buffer) => void;
  readonly onStderr: (chunk: Buffer) => void;
  /** The redacted command, for errors. */
  readonly shown: string;
  /** How the command reaches the server's login shell (default: wrapInProcessGroup, a POSIX sh command). */
  readonly wrap?: (command: string) => string;
}

export interface ChannelHost {
  readonly client: Client;
  readonly target: string;
  /** Hands out the connection's channels (shared with the persistent shells). */
  readonly pool: Pick<ShellPool, 'acquireChannel' | 'releaseChannel'>;
  readonly counters: ExecCounters;
  /** False once the connection closed. */
  alive(): boolean;
}

// How long a kill may take before we give up waiting for the channel and report anyway.
export const KILL_GRACE_MS = 6_000;

function openExec(client: Client, command: string): Promise<ClientChannel> {
  return new Promise((resolve, reject) => {
    try {
      client.exec(command, (err, ch) => (err ? reject(err) : resolve(ch)));
    } catch (e) {
      reject(e);
    }
  });
}

/** Runs a short helper command (a group kill) outside the channel cap; never throws. */
export async function runHelper(host: Pick<ChannelHost, 'client' | 'counters'>, command: string): Promise<void> {
  try {
    host.counters.channelOpened();
    const ch = await openExec(host.client, command);
    await new Promise<void>((resolve) => {
      ch.on('close', () => resolve());
      ch.resume();
      ch.stderr.resume();
      ch.end();
    });
  } catch {
    // The connection is gone or refused another channel: the channel close below is all we can do.
  }
}

/**
 * Runs one command on an exec channel of its own inside its own remote process group (where the
 * persistent shell cannot be used, see ssh-executor.ts). Resolves with the exit code; rejects with
 * TIMEOUT / CANCELLED after killing the group, or SSH_UNREACHABLE.
 */
export function channelExec(host: ChannelHost, command: string, o: ChannelExecOptions): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let settled = false;
    let acquired = false;
    const lease = host.pool.acquireChannel();
    let channel: ClientChannel | undefined;
    let pgid: number | null = null;
    let stopping: InfraktError | null = null;
    let killing = false;
    let exitCode: number | null = null;
    const parser = new MarkerParser();

    const cleanup = () => {
      if (timer) clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      if (acquired) host.pool.releaseChannel();
      else lease.cancel();
      acquired = false;
    };
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      cleanup();
      fn();
    };

    const kill = () => {
      if (killing || pgid === null) return;
      killing = true;
      const stopErr = stopping;
      // The helper returns once the group is gone (TERM, then KILL): only then report.
      void runHelper(host, killProcessGroupCommand(pgid)).then(() => {
        channel?.close();
        settle(() => reject(stopErr));
      });
    };

    const stop = (err: InfraktError) => {
      if (settled || stopping) return;
      stopping = err;
      if (!acquired) return settle(() => reject(err)); // still queued: nothing runs remotely yet
      if (pgid !== null) return kill();
      // The marker has not arrived yet: kill as soon as it does; close the channel as a last resort.
      setTimeout(() => {
        channel?.close();
        settle(() => reject(err));
      }, KILL_GRACE_MS).unref();
    };

    const onAbort = () => stop(cancelled(host.target, o.shown));
    const timer =
      o.timeoutMs && o.timeoutMs > 0
        ? setTimeout(() => stop(timedOut(host.target, o.shown, o.timeoutMs ?? 0)), o.timeoutMs)
        : undefined;
    if (o.signal?.aborted) return stop(cancelled(host.target, o.shown));
    o.signal?.addEventListener('abort', onAbort, { once: true });

    void lease.promise.then(async () => {
      if (settled) return host.pool.releaseChannel(); // stopped as it was granted: hand it on
      acquired = true;
      if (!host.alive()) return settle(() => reject(connectionLost(host.target, o.shown)));
      let ch: ClientChannel;
      host.counters.channelOpened();
      host.counters.roundTrips++; // the command itself
      try {
        ch = await openExec(host.client, (o.wrap ?? wrapInProcessGroup)(command));
      } catch (e) {
        const why = (e as Error).message;
        return settle(() => reject(connectionLost(host.target, o.shown, why)));
      }
      channel = ch;
      ch.on('data', (chunk: Buffer) => {
        const rest = parser.push(chunk);
        if (parser.done && pgid === null && parser.pgid !== null) {
          pgid = parser.pgid;
          if (stopping) kill();
        }
        if (rest.length > 0) o.onStdout(rest);
      });
      ch.stderr.on('data', (chunk: Buffer) => o.onStderr(chunk));
      ch.on('exit', (code: number | null, sig?: string) => {
        exitCode = typeof code === 'number' ? code : signalExitCode(sig);
      });
      // ssh2 repeats the exit status on 'close'. It is the only copy when exit-status arrived in the same
      // read as the channel confirmation: 'exit' then fired before the listener above was attached.
      ch.on('close', (closeCode?: number | null, closeSig?: string) => {
        if (exitCode === null && typeof closeCode === 'number') exitCode = closeCode;
        else if (exitCode === null && typeof closeSig === 'string') exitCode = signalExitCode(closeSig);
        const rest = parser.end();
        if (rest.length > 0) o.onStdout(rest);
        if (stopping) {
          // With a kill under way the helper settles (the group may outlive the channel).
          const err = stopping;
          if (!killing) settle(() => reject(err));
          return;
        }
        if (exitCode === null) return settle(() => reject(connectionLost(host.target, o.shown)));
        const code = exitCode;
        settle(() => resolve(code));
      });
      if (o.input) {
        o.input.once('error', (e: Error) =>
          stop(new InfraktError('COMMAND_FAILED', `the upload to ${host.target} failed: ${e.message}`)),
        );
        o.input.pipe(ch);
      } else ch.end(o.stdin ?? undefined);
    });
  });
}
