import { randomBytes } from 'node:crypto';
import { batch, parseBatch } from '../../core/cmd/index.js';
import { asRoot } from '../../core/commands/sudo.js';
import * as swarm from '../../core/commands/swarm.js';
import { type EspProbeResult, espGcmProbe, parseEspGcmProbe } from '../../core/commands/xfrm.js';
import { commandFailed, type Executor } from '../../core/executor.js';

export interface NodeCheck {
  info: swarm.SwarmInfo;
  /** Whether the node's kernel can carry the encrypted overlay; null when not asked. */
  esp: EspProbeResult | null;
}

/**
 * What a node is before it joins: its swarm state and Docker version, and, for an encrypted overlay, whether its
 * kernel does IPsec ESP with AES-GCM (the probe runs as root, in a namespace of its own removed whatever happens).
 * Both in one round trip; changes nothing on the node.
 */
export async function checkNode(
  ex: Executor,
  /** The SSH user: the probe goes through `sudo -n` unless it is root. */
  user: string,
  o: { encrypted: boolean; signal?: AbortSignal },
): Promise<NodeCheck> {
  const info = swarm.swarmInfo();
  const nonce = randomBytes(12).toString('hex');
  const probe = asRoot(espGcmProbe(`infrakt-esp-${randomBytes(6).toString('hex')}`), user);
  const script = batch([{ name: 'swarm', cmd: info }, ...(o.encrypted ? [{ name: 'esp', cmd: probe }] : [])], nonce);
  const r = await ex.run(script, o.signal ? { signal: o.signal } : {});
  const parts = parseBatch(r.stdout, nonce);
  const swarmPart = parts.get('swarm');
  if (swarmPart?.exitCode !== 0) {
    throw commandFailed(ex.target, info, { ...r, exitCode: swarmPart?.exitCode ?? r.exitCode }, 'docker info');
  }
  const espPart = parts.get('esp');
  return {
    info: swarm.parseSwarmInfo(swarmPart.stdout),
    esp: !o.encrypted
      ? null
      : espPart
        ? parseEspGcmProbe(espPart, user)
        : { ok: false, lacksEspGcm: false, reason: `the check did not finish (exit ${r.exitCode})` },
  };
}
