import { and, type Cmd, exec } from '../cmd/index.js';

// Exit 0 when ufw is active, denies incoming by default and has every rule given as an argument
// (`ufw show added` lists rules exactly as the commands that added them, e.g. `ufw allow 22/tcp`).
const CHECK_SCRIPT =
  'command -v ufw >/dev/null || exit 1; ' +
  "ufw status | grep -qx 'Status: active' || exit 1; " +
  'grep -qx \'DEFAULT_INPUT_POLICY="DROP"\' /etc/default/ufw || exit 1; ' +
  'a=$(ufw show added) || exit 1; ' +
  'for r do printf "%s\\n" "$a" | grep -qxF "ufw allow $r" || { echo "missing rule: $r"; exit 1; }; done';

/** Rules are ufw rule specs such as `22/tcp` or `443`. */
export const hasPolicy = (rules: readonly string[]): Cmd => exec('sh', '-c', CHECK_SCRIPT, 'sh', ...rules);

export const defaultDenyIncoming = (): Cmd => exec('ufw', 'default', 'deny', 'incoming');
export const defaultAllowOutgoing = (): Cmd => exec('ufw', 'default', 'allow', 'outgoing');
export const allow = (rule: string): Cmd => exec('ufw', 'allow', rule);
export const enable = (): Cmd => exec('ufw', '--force', 'enable');

/**
 * The whole policy in one command: the SSH rule is added before `enable`, so the session that runs
 * it is never cut off; `ufw allow` skips rules that exist.
 */
export const applyPolicy = (rules: readonly string[]): Cmd =>
  and(defaultDenyIncoming(), defaultAllowOutgoing(), ...rules.map(allow), enable());

/** Swarm's ports: cluster management, node gossip, overlay (VXLAN) traffic. */
export const SWARM_PORTS = ['2377/tcp', '7946/tcp', '7946/udp', '4789/udp'] as const;

// Only where ufw is installed and active (a server infrakt provisioned): each swarm port opened to each peer
// address alone, never to everyone. Prints `ufw: N` (rules handled) or `ufw: inactive`.
const SWARM_PEERS_SCRIPT =
  'verb=$1; shift; ' +
  'if ! command -v ufw >/dev/null 2>&1 || ! ufw status | grep -qx "Status: active"; then echo "ufw: inactive"; exit 0; fi; ' +
  'n=0; for ip do for pp in ' +
  SWARM_PORTS.join(' ') +
  '; do ' +
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a template
  'proto=${pp#*/}; port=${pp%/*}; ' +
  'if [ "$verb" = allow ]; then ufw allow proto "$proto" from "$ip" to any port "$port" >/dev/null || exit 1; ' +
  'else ufw delete allow proto "$proto" from "$ip" to any port "$port" >/dev/null 2>&1 || true; fi; ' +
  'n=$((n+1)); done; done; echo "ufw: $n"';

/** Opens (or, with `delete`, closes) the swarm ports to the given peer IP addresses when ufw is active. */
export const swarmPeers = (verb: 'allow' | 'delete', peers: readonly string[]): Cmd =>
  exec('sh', '-c', SWARM_PEERS_SCRIPT, 'sh', verb, ...peers);
