import { isIP } from 'node:net';
import { swarmPeers } from '../../core/commands/ufw.js';
import { InfraktError } from '../../core/errors.js';
import { type Executor, runChecked } from '../../core/executor.js';

/**
 * The swarm ports of one node opened (or closed) to the other members' addresses only, when the node's ufw is
 * active. Returns what happened, for the step detail.
 */
export async function swarmFirewall(ex: Executor, verb: 'allow' | 'delete', peers: readonly string[]): Promise<string> {
  for (const p of peers) if (!isIP(p)) throw new InfraktError('VALIDATION', `not an IP address: ${p}`);
  if (!peers.length) return 'no peers';
  const r = await runChecked(ex, swarmPeers(verb, peers), { what: `ufw ${verb} for swarm peers` });
  return r.stdout.trim().split('\n').at(-1) ?? '';
}
