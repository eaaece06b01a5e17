import { createHash } from 'node:crypto';

export interface HostKeyInfo {
  /** Key type as in known_hosts, e.g. `ssh-ed25519`. */
  readonly type: string;
  readonly base64: string;
  /** `SHA256:<base64, no padding>`, as `ssh-keygen -lf` prints it. */
  readonly fingerprint: string;
  /** `<type> <base64>`: what the servers table stores in `host_key`. */
  readonly line: string;
}

export function fingerprintOfBlob(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** Parses the SSH wire-format public key blob the server presented. */
export function hostKeyFromBlob(blob: Buffer): HostKeyInfo {
  let type = 'unknown';
  if (blob.length >= 4) {
    const len = blob.readUInt32BE(0);
    if (len > 0 && len < 64 && blob.length >= 4 + len) type = blob.subarray(4, 4 + len).toString('ascii');
  }
  const base64 = blob.toString('base64');
  return { type, base64, fingerprint: fingerprintOfBlob(blob), line: `${type} ${base64}` };
}

/** Parses a stored `<type> <base64>` line; null when malformed. */
export function hostKeyFromLine(line: string): HostKeyInfo | null {
  const [type, b64] = line.trim().split(/\s+/);
  if (!type || !b64 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) return null;
  const info = hostKeyFromBlob(Buffer.from(b64, 'base64'));
  return info.type === type ? info : null;
}

const SUPPORTED = new Set([
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
]);

/** Host key algorithms that make a server present a key of this type. */
export function algorithmsFor(type: string): string[] {
  if (type === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return SUPPORTED.has(type) ? [type] : [];
}

/**
 * ssh2 `algorithms.serverHostKey` edit putting the pinned type first, so a server with several host
 * keys presents the pinned one. ssh2 skips a prepend already in its list and unshifts one at a
 * time: remove first, then prepend in reverse. Null for types ssh2 does not know.
 */
export function preferHostKeyType(type: string): { remove: string[]; prepend: string[] } | null {
  const algos = algorithmsFor(type);
  return algos.length ? { remove: algos, prepend: [...algos].reverse() } : null;
}
