import type { EndSessionResult } from '../../adapters/edge/tunnel-session.js';
import {
  isTunnelSession,
  parseListenerOwners,
  processUid,
  terminateProcess,
  tunnelListener,
} from '../../core/commands/edge-session.js';
import type { Executor } from '../../core/executor.js';

/**
 * At a relay, ends the session a revoked device still has open (its reverse forward keeps listening on the
 * relay's 127.0.0.1:PORT until then), through infrakt's own connection to the relay. Needs a login that may see
 * and signal the tunnel user's processes (root): otherwise `not-permitted`, and the caller says so.
 */
export async function endRelayTunnelSession(ex: Executor, port: number): Promise<EndSessionResult> {
  const listed = await ex.run(tunnelListener(port));
  if (listed.exitCode !== 0) return 'not-permitted'; // no `ss` there, or it refused
  if (listed.stdout.trim() === '') return 'none';
  // A listener whose owner `ss` does not show belongs to a user this login cannot see.
  const owners = parseListenerOwners(listed.stdout);
  if (owners.length === 0) return 'not-permitted';
  let ended = 0;
  for (const { comm, pid } of owners) {
    const uid = await ex.run(processUid(pid));
    if (uid.exitCode !== 0) continue; // gone meanwhile
    if (!isTunnelSession(comm, Number(uid.stdout.trim()))) return 'not-sshd';
    if ((await ex.run(terminateProcess(pid))).exitCode !== 0) return 'not-permitted';
    ended++;
  }
  return ended > 0 ? 'ended' : 'none';
}
