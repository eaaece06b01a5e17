import { quote } from '../../core/cmd/index.js';

/**
 * Remote commands run in their own process group so that a timeout or cancel can kill everything
 * they started (a channel close or an ssh "signal" request only reaches the session's shell).
 *
 * `setsid -w` forks when needed (the session shell is already a group leader), waits and passes
 * the exit status through; the inner shell prints a marker with its pid (= the new process group
 * id) on stdout before running the command, and the executor strips that line. Anything a noisy rc
 * file prints before the marker is dropped too. Needs util-linux >= 2.31 (Debian 10, Ubuntu 18.04).
 */
export const PGID_MARKER = '__infrakt_pgid=';

export function wrapInProcessGroup(command: string): string {
  return `exec setsid -w sh -c ${quote(`printf '${PGID_MARKER}%s\\n' "$$"; eval "$1"`)} infrakt ${quote(command)}`;
}

/**
 * A user's command line for their login shell, as `ssh host '<line>'` runs it, with the marker in
 * front. No setsid and no second shell: sshd makes the login shell the leader of a new session (so
 * its pid is the process group of everything the line starts), and the marker's `/bin/sh` prints its
 * parent's pid. `/bin/sh -c '…';` reads the same in bash, zsh, ksh, dash, fish and csh.
 *
 * (The SSH "signal" request would need no marker, but sshd refuses it for root logins: "session
 * signalling requires privilege separation", and root sessions run in the privileged monitor.)
 */
export function markLoginShellLine(line: string): string {
  return `/bin/sh -c 'echo ${PGID_MARKER}$PPID'; ${line}`;
}

/**
 * TERM the group, give it up to 3 s, then KILL. Falls back to sudo for root-owned groups.
 * "Alive" ignores zombies (ps when present): an init that reaps slowly would otherwise keep
 * `kill -0` succeeding for processes that are already dead.
 */
export function killProcessGroupCommand(pgid: number): string {
  const n = Math.trunc(pgid);
  const g = `-${n}`;
  const alive = `{ if command -v ps >/dev/null 2>&1; then ps -eo pgid=,stat= | awk '$1 == ${n} && $2 !~ /^Z/ { f = 1 } END { exit !f }'; else kill -0 ${g} 2>/dev/null; fi; }`;
  return [
    `kill -TERM ${g} 2>/dev/null || sudo -n kill -TERM -- ${g} 2>/dev/null`,
    `i=0; while [ $i -lt 30 ] && ${alive}; do sleep 0.1; i=$((i+1)); done`,
    `kill -KILL ${g} 2>/dev/null || sudo -n kill -KILL -- ${g} 2>/dev/null`,
    'true',
  ].join('; ');
}

/**
 * Strips the pgid marker from the head of stdout. Feed chunks until `done`; then `pgid` is known
 * (or null when the marker never came, e.g. setsid missing) and `rest` holds the command's output.
 */
export class MarkerParser {
  #head = Buffer.alloc(0);
  done = false;
  pgid: number | null = null;

  /** Returns the part of the chunk that belongs to the command's stdout. */
  push(chunk: Buffer): Buffer {
    if (this.done) return chunk;
    this.#head = Buffer.concat([this.#head, chunk]);
    const text = this.#head.toString('latin1');
    const at = text.indexOf(PGID_MARKER);
    if (at === -1) {
      // Keep buffering until a plausible marker could have arrived (rc noise is usually short).
      if (this.#head.length > 64 * 1024) return this.#giveUp();
      return Buffer.alloc(0);
    }
    const nl = text.indexOf('\n', at);
    if (nl === -1) return Buffer.alloc(0);
    const pid = Number.parseInt(text.slice(at + PGID_MARKER.length, nl), 10);
    this.pgid = Number.isFinite(pid) && pid > 1 ? pid : null;
    this.done = true;
    const rest = this.#head.subarray(nl + 1);
    this.#head = Buffer.alloc(0);
    return rest;
  }

  /** At end of stream without a marker: everything buffered was output. */
  end(): Buffer {
    return this.done ? Buffer.alloc(0) : this.#giveUp();
  }

  #giveUp(): Buffer {
    this.done = true;
    const all = this.#head;
    this.#head = Buffer.alloc(0);
    return all;
  }
}
