/**
 * What a meeting point's sshd needs so edge devices can dial in, as text the user applies once as root: infrakt
 * never edits a system's sshd configuration. The least invasive shape that stays safe: a system user of its own
 * for the devices (no password, no shell, no home), and one Match block for that user alone. Its keys are read
 * with `AuthorizedKeysCommand /bin/cat <file>` run as the user who owns infrakt's file: sshd's StrictModes would
 * refuse an `AuthorizedKeysFile` owned by anyone but root or the tunnel user, and infrakt runs as neither.
 */

export interface MeetingPointSshd {
  /** The system user devices log in as. */
  readonly tunnelUser: string;
  /** Absolute path of infrakt's dedicated authorized_keys at the meeting point. */
  readonly keysFile: string;
  /** The user owning that file (sshd runs `cat` as this user). */
  readonly keysUser: string;
}

export const SSHD_DROP_IN = '/etc/ssh/sshd_config.d/infrakt-edge.conf';

/** The Match block: key-only login, remote forwarding only, no session can run anything. */
export function sshdMatchBlock(m: MeetingPointSshd): string {
  return [
    '# infrakt edge devices: each key may only open its own reverse forward (see the options on its line).',
    `Match User ${m.tunnelUser}`,
    '    AuthorizedKeysFile none',
    `    AuthorizedKeysCommand /bin/cat ${m.keysFile}`,
    `    AuthorizedKeysCommandUser ${m.keysUser}`,
    '    AuthenticationMethods publickey',
    '    PasswordAuthentication no',
    '    KbdInteractiveAuthentication no',
    '    AllowTcpForwarding remote',
    '    AllowStreamLocalForwarding no',
    '    AllowAgentForwarding no',
    '    X11Forwarding no',
    '    PermitTTY no',
    '    PermitTunnel no',
    '    PermitUserRC no',
    '    GatewayPorts no',
    '    ForceCommand /bin/false',
    // A device that vanished without closing its TCP connection frees its port within 45 s.
    '    ClientAliveInterval 15',
    '    ClientAliveCountMax 3',
    '',
  ].join('\n');
}

/** Creates the tunnel user. `*` as password: no password login, and not "locked" (`!`) to an sshd without PAM. */
export function tunnelUserCommands(tunnelUser: string): string[] {
  return [
    `useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ${tunnelUser}`,
    `usermod -p '*' ${tunnelUser}`,
  ];
}

/** Step-by-step text for people: where (`on`) and how, every command exact. */
export function sshdSetupText(m: MeetingPointSshd, on: string): string {
  const block = sshdMatchBlock(m)
    .trimEnd()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
  const [add, password] = tunnelUserCommands(m.tunnelUser);
  return [
    `Let sshd on ${on} accept edge devices (once, as root; infrakt does not edit sshd's configuration):`,
    '',
    `1. A system user for the devices (no password, no shell, no home):`,
    `    sudo ${add}`,
    `    sudo ${password}`,
    '',
    `2. A Match block for that user only; its keys come from infrakt's file ${m.keysFile}:`,
    `    sudo tee ${SSHD_DROP_IN} >/dev/null <<'EOF'`,
    block,
    '    EOF',
    `   If /etc/ssh/sshd_config has no "Include /etc/ssh/sshd_config.d/*.conf" line, append the block to its end instead.`,
    '',
    '3. Check the configuration and reload sshd:',
    '    sudo sshd -t && sudo systemctl reload ssh    (sshd.service on RHEL-like systems)',
    '',
  ].join('\n');
}
