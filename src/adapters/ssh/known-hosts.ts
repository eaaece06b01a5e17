import { randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface KnownHost {
  readonly host: string;
  readonly port: number;
  /** `<type> <base64>` */
  readonly hostKey: string;
}

/** The host pattern OpenSSH uses: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsPattern(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function renderKnownHosts(entries: readonly KnownHost[]): string {
  const lines = entries.map((e) => `${knownHostsPattern(e.host, e.port)} ${e.hostKey}`);
  return [...new Set(lines)]
    .sort()
    .map((l) => `${l}\n`)
    .join('');
}

/**
 * Rewrites `$INFRAKT_HOME/known_hosts` from the pinned keys (the database is the source of truth),
 * atomically, so `server ssh` can hand it to OpenSSH with StrictHostKeyChecking=yes.
 */
export function writeKnownHosts(path: string, entries: readonly KnownHost[]): void {
  const tmp = join(dirname(path), `.known_hosts.${randomBytes(6).toString('hex')}`);
  writeFileSync(tmp, `# managed by infrakt: pinned host keys of registered servers\n${renderKnownHosts(entries)}`, {
    mode: 0o600,
  });
  renameSync(tmp, path);
}
