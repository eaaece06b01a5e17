import { type Cmd, exec } from '../cmd/index.js';

/**
 * Docker's encrypted overlay (`--opt encrypted`) sets up IPsec ESP between the nodes with AES-GCM
 * (`rfc4106(gcm(aes))`). A kernel without it lets `docker network create` succeed and the containers start, but
 * traffic between nodes never flows: so infrakt asks each node's kernel first, by adding one such ESP state in a
 * throwaway network namespace (the node's own IPsec state is never touched), then deleting the namespace.
 */
export const ESP_AEAD = 'rfc4106(gcm(aes))';

/** Exit codes of the probe script (anything else: the probe itself could not run, e.g. sudo refused). */
export const ESP_PROBE_EXIT = {
  /** The kernel refused the ESP AES-GCM state: no encrypted overlay on this node. */
  noEspGcm: 3,
  /** `ip` (iproute2) is not installed. */
  noIp: 4,
  /** No network namespace could be created to test in (not root?). */
  noNetns: 5,
} as const;

// Positional $1: the namespace's name (unique per run, made by the caller). The EXIT trap is set before the
// namespace exists, so a signal at any point still removes it; a failed `ip netns add` clears the trap (the name
// was never ours). Every message goes to stdout so the caller gets the kernel's words inside a batch.
const PROBE_SCRIPT = [
  'ns=$1',
  'PATH=$PATH:/usr/sbin:/sbin',
  "command -v ip >/dev/null 2>&1 || { echo 'ip (iproute2) is not installed'; exit 4; }",
  'trap \'ip netns del "$ns" >/dev/null 2>&1\' EXIT',
  "trap 'exit 130' HUP INT TERM",
  'if ! out=$(ip netns add "$ns" 2>&1); then trap - EXIT; printf \'%s\\n\' "$out"; exit 5; fi',
  `if out=$(ip -n "$ns" xfrm state add src 127.0.0.2 dst 127.0.0.3 proto esp spi 0x100 mode transport aead '${ESP_AEAD}' 0x0102030405060708090a0b0c0d0e0f1011121314 128 2>&1); then echo 'esp-gcm: yes'; exit 0; fi`,
  'printf \'%s\\n\' "$out"',
  'exit 3',
].join('\n');

const NS_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

/**
 * The probe: exit 0 when this kernel can do ESP with AES-GCM, else one of `ESP_PROBE_EXIT` with the reason on
 * stdout. Needs root (wrap it with `asRoot`). `namespace` must be unique per run (e.g. `infrakt-esp-<random>`).
 */
export function espGcmProbe(namespace: string): Cmd {
  if (!NS_NAME.test(namespace)) throw new Error(`espGcmProbe(): bad namespace name '${namespace}'`);
  return exec('sh', '-c', PROBE_SCRIPT, 'sh', namespace);
}

export type EspProbeResult =
  | { ok: true }
  /** `lacksEspGcm`: the kernel answered no; otherwise the probe could not tell (no ip, no root, no netns). */
  | { ok: false; lacksEspGcm: boolean; reason: string };

export function parseEspGcmProbe(r: { exitCode: number; stdout: string }, user: string): EspProbeResult {
  const said =
    r.stdout
      .trim()
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .at(-1) ?? '';
  switch (r.exitCode) {
    case 0:
      return { ok: true };
    case ESP_PROBE_EXIT.noEspGcm:
      return {
        ok: false,
        lacksEspGcm: true,
        reason: `its kernel refused an ESP ${ESP_AEAD} state (${said || 'no message'})`,
      };
    case ESP_PROBE_EXIT.noIp:
      return {
        ok: false,
        lacksEspGcm: false,
        reason: 'ip (iproute2) is not installed, so its kernel could not be asked',
      };
    case ESP_PROBE_EXIT.noNetns:
      return {
        ok: false,
        lacksEspGcm: false,
        reason: `no network namespace could be made to test in (${said || 'no message'})`,
      };
    case 1:
      if (user !== 'root')
        return { ok: false, lacksEspGcm: false, reason: `${user} cannot run the check as root (sudo -n refused)` };
      return { ok: false, lacksEspGcm: false, reason: `the check exited 1${said ? ` (${said})` : ''}` };
    default:
      return { ok: false, lacksEspGcm: false, reason: `the check exited ${r.exitCode}${said ? ` (${said})` : ''}` };
  }
}
