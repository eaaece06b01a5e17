import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { isTunnelSession } from '../../core/commands/edge-session.js';

/**
 * Revoking a device's key stops new logins only: the session it has open keeps its reverse forward. This finds
 * the sshd process listening on this machine's 127.0.0.1:port (the session's own privilege-separated child, not
 * running as root) and ends it, so the tunnel is down now. Linux /proc only; returns what happened, never throws.
 */
export type EndSessionResult = 'ended' | 'none' | 'not-permitted' | 'not-sshd';

function listeningInode(port: number): string | null {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let table: string;
  try {
    table = readFileSync('/proc/net/tcp', 'utf8');
  } catch {
    return null;
  }
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // local_address rem_address st ... uid timeout inode; st 0A = LISTEN
    if (f[1] === local && f[3] === '0A' && f[9]) return f[9];
  }
  return null;
}

function ownerOf(inode: string): number | null {
  const target = `socket:[${inode}]`;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return Number(pid);
      } catch {
        // closed meanwhile
      }
    }
  }
  return null;
}

export function endTunnelSession(port: number): EndSessionResult {
  const inode = listeningInode(port);
  if (!inode) return 'none';
  const pid = ownerOf(inode);
  if (pid === null) return 'not-permitted';
  try {
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    // Only a session child (sshd running as the unprivileged tunnel user), never the sshd listener itself.
    if (uid === undefined || !isTunnelSession(comm, Number(uid))) return 'not-sshd';
    process.kill(pid, 'SIGTERM');
    return 'ended';
  } catch {
    return 'not-permitted';
  }
}
