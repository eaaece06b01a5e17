import { type Cmd, exec, quietErr } from '../cmd/index.js';

// Ending a revoked device's tunnel session at a relay: revoking its key stops new logins only, the session it has
// open keeps its reverse forward. Three small commands, each decided on its exit code or a parsed line: who
// listens on the relay's 127.0.0.1:PORT, that it is an unprivileged sshd session (never the sshd listener), then
// end that one process.

const checkPid = (pid: number): string => {
  if (!Number.isInteger(pid) || pid < 2) throw new Error(`not a process id: ${pid}`);
  return String(pid);
};

/** The listener on 127.0.0.1:PORT with its process (`ss` of iproute2; `-p` needs root for other users' sockets). */
export const tunnelListener = (port: number): Cmd =>
  exec('ss', '-H', '-t', '-l', '-n', '-p', 'src', `127.0.0.1:${port}`);

/** `users:(("sshd",pid=1234,fd=9))` of `ss -p` lines: each owning process once. */
export function parseListenerOwners(out: string): { comm: string; pid: number }[] {
  const seen = new Map<number, string>();
  for (const m of out.matchAll(/\("([^"]*)",pid=(\d+),fd=\d+\)/g)) {
    const pid = Number(m[2]);
    if (!seen.has(pid)) seen.set(pid, m[1] as string);
  }
  return [...seen].map(([pid, comm]) => ({ comm, pid }));
}

/** The numeric uid a process runs as (the owner of its /proc directory). */
export const processUid = (pid: number): Cmd => quietErr(exec('stat', '-c', '%u', `/proc/${checkPid(pid)}`));

export const terminateProcess = (pid: number): Cmd => exec('kill', '-s', 'TERM', checkPid(pid));

/**
 * Whether a process holding a tunnel port is a device's session: sshd's per-connection child (`sshd`, or
 * `sshd-session` since OpenSSH 9.8) running as the unprivileged tunnel user, never root's listener.
 */
export const isTunnelSession = (comm: string, uid: number): boolean =>
  (comm === 'sshd' || comm === 'sshd-session') && uid !== 0;
