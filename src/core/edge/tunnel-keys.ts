/**
 * The dedicated authorized_keys of a meeting point (the control host or a relay): one line per edge device, each
 * allowed exactly one thing, its own reverse forward. `restrict` switches everything off (pty, agent, X11, user rc,
 * forwarding); `port-forwarding` turns forwarding back on, narrowed by `permitlisten` to the device's loopback
 * port and by `permitopen` to that same port (a local forward could then only lead back into its own tunnel);
 * `command` makes any session run /bin/false. The sshd Match block (sshd-setup.ts) says the same again.
 */

export interface TunnelGrant {
  readonly device: string;
  readonly port: number;
  /** `ssh-ed25519 <base64>` */
  readonly publicKey: string;
}

const PUBLIC_KEY_RE = /^ssh-ed25519 [A-Za-z0-9+/]+=*$/;
const DEVICE_RE = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function tunnelKeyOptions(port: number): string {
  if (!Number.isInteger(port) || port < 1024 || port > 65535) throw new Error(`bad tunnel port ${port}`);
  const at = `127.0.0.1:${port}`;
  return `restrict,port-forwarding,permitlisten="${at}",permitopen="${at}",command="/bin/false"`;
}

export function tunnelKeyLine(g: TunnelGrant): string {
  if (!PUBLIC_KEY_RE.test(g.publicKey)) throw new Error(`not an ed25519 public key line for ${g.device}`);
  if (!DEVICE_RE.test(g.device)) throw new Error(`bad device name ${g.device}`);
  return `${tunnelKeyOptions(g.port)} ${g.publicKey} infrakt-edge:${g.device}`;
}

/** The whole file, rewritten from state on every change (state is the source of truth, as for known_hosts). */
export function renderTunnelAuthorizedKeys(grants: readonly TunnelGrant[]): string {
  const lines = [...grants].sort((a, b) => a.port - b.port).map(tunnelKeyLine);
  return [
    '# Managed by infrakt: edge devices, each allowed only its own reverse forward. Edits are overwritten.',
    ...lines,
    '',
  ].join('\n');
}
