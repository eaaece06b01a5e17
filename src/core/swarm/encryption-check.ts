import { ESP_AEAD, type EspProbeResult } from '../commands/xfrm.js';
import { InfraktError } from '../errors.js';

export interface NodeEspProbe {
  server: string;
  result: EspProbeResult;
}

/**
 * What `cluster create --encrypted` does with the nodes' answers: null when every node can encrypt the overlay,
 * else the error that refuses the create before anything changed, naming each node that cannot and why.
 */
export function encryptionRefusal(
  probes: readonly NodeEspProbe[],
  /** The way out that needs no kernel change (create: without --encrypted; add-node: another server). */
  otherwise = 'or create the cluster without --encrypted (the overlay is then not encrypted between nodes)',
): InfraktError | null {
  const failed = probes.flatMap((p) => (p.result.ok ? [] : [{ server: p.server, ...p.result }]));
  if (!failed.length) return null;
  const names = failed.map((f) => f.server);
  // One reason said once when every node gave the same (the usual case: one kernel build on every node).
  const reasons = new Set(failed.map((f) => f.reason));
  const why = reasons.size === 1 ? failed[0]!.reason : failed.map((f) => `${f.server}: ${f.reason}`).join('; ');
  const lackingNames = failed.filter((f) => f.lacksEspGcm).map((f) => f.server);
  const lacking = lackingNames.length > 0;
  const modules = `on ${lackingNames.join(', ')}, load the IPsec modules (modprobe -a xfrm_user esp4 gcm aes) or use a kernel with ESP and AES-GCM`;
  const unchecked = 'let the check run as root (root login or passwordless sudo, and iproute2)';
  const hint = [lacking ? modules : null, lackingNames.length < failed.length ? unchecked : null, otherwise]
    .filter(Boolean)
    .join('; ');
  const one = names.length === 1;
  const verdict = failed.every((f) => f.lacksEspGcm)
    ? one
      ? 'lacks it'
      : 'lack it'
    : lacking
      ? `${one ? 'lacks' : 'lack'} it or could not be checked`
      : 'could not be checked';
  return new InfraktError(
    'UNSUPPORTED',
    `the overlay network cannot be encrypted: Docker's encrypted overlay needs IPsec ESP with AES-GCM (${ESP_AEAD}) in every node's kernel, and ${names.join(', ')} ${verdict}: ${why}`,
    { hint, details: { nodes: failed.map((f) => ({ server: f.server, reason: f.reason })) } },
  );
}
