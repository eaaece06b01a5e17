import type { ExecStats } from '../../core/executor.js';

/** Why a command ran on a channel of its own instead of a persistent shell. */
export type OwnChannelReason =
  /** The shell could not start on this server (a forced command, a restricted shell, no /bin/sh). */
  | 'no-shell'
  /** Its stdin is larger than a shell request should carry (see MAX_SHELL_STDIN). */
  | 'large-stdin'
  /** A user's command line for their login shell (`server exec`), like `ssh host '<line>'`. */
  | 'login-shell'
  /** The operation runs one command (server status, server test): a shell would add a round trip. */
  | 'single-command'
  /** Persistent shells turned off for this connection (INFRAKT_SSH_SHELL=off). */
  | 'disabled';

/** The mutable counters behind `Executor.stats()`. */
export class ExecCounters {
  handshakes = 1;
  commands = 0;
  roundTrips = 0;
  channels = 0;
  shells = 0;
  readonly ownChannel: Partial<Record<OwnChannelReason, number>> = {};

  /** A new channel: open + start its program. */
  channelOpened(): void {
    this.channels++;
    this.roundTrips += 2;
  }

  ownChannelFor(reason: OwnChannelReason): void {
    this.ownChannel[reason] = (this.ownChannel[reason] ?? 0) + 1;
  }

  snapshot(): ExecStats {
    return {
      handshakes: this.handshakes,
      commands: this.commands,
      roundTrips: this.roundTrips,
      channels: this.channels,
      shells: this.shells,
      ownChannel: { ...this.ownChannel },
    };
  }
}
