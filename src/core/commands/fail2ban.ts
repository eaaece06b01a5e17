import { type Cmd, exec } from '../cmd/index.js';

export const JAIL_PATH = '/etc/fail2ban/jail.d/infrakt.local';

/**
 * The sshd jail, reading the journal: hosts without rsyslog have no /var/log/auth.log, and the
 * default `backend = auto` then watches nothing. The journal match covers Debian's `ssh.service`,
 * other distros' `sshd.service`, and OpenSSH >= 9.8 which logs failed logins from `sshd-session`
 * (Debian 13's shipped jail matches only `_COMM=sshd` and misses them).
 */
export function sshdJail(opts: { sshPort: number; maxRetry?: number; findTime?: string; banTime?: string }): string {
  return [
    '# Managed by infrakt (server provision).',
    '[sshd]',
    'enabled = true',
    'backend = systemd',
    'journalmatch = _SYSTEMD_UNIT=ssh.service + _SYSTEMD_UNIT=sshd.service + _COMM=sshd + _COMM=sshd-session',
    `port = ${opts.sshPort}`,
    `maxretry = ${opts.maxRetry ?? 5}`,
    `findtime = ${opts.findTime ?? '10m'}`,
    `bantime = ${opts.banTime ?? '1h'}`,
    '',
  ].join('\n');
}

/** Exit 0 when the sshd jail is loaded and running. */
export const jailRunning = (): Cmd => exec('fail2ban-client', 'status', 'sshd');

/** fail2ban answers its socket a moment after systemd reports it started: wait up to 30 s. */
export const waitForJail = (): Cmd =>
  exec('timeout', '30', 'sh', '-c', 'until fail2ban-client status sshd >/dev/null 2>&1; do sleep 0.5; done');
