import { createHash } from 'node:crypto';
import { InfraktError } from '../../core/errors.js';

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

const FINGERPRINT_RE = /^SHA256:[A-Za-z0-9+/]{43}$/;

/**
 * What a connection must verify, from the stored pin. `null` (no pin asked for) accepts any key. A stored
 * pin that cannot be read fails closed: a damaged `host_key` with no usable fingerprint must never turn into
 * "accept anything".
 */
export function expectedHostKey(
  server: string,
  expect: { readonly hostKey?: string | null; readonly fingerprint?: string | null } | null,
): { pinned: HostKeyInfo | null; fingerprint: string | null } {
  if (!expect) return { pinned: null, fingerprint: null };
  const pinned = expect.hostKey ? hostKeyFromLine(expect.hostKey) : null;
  if (pinned) return { pinned, fingerprint: pinned.fingerprint };
  const fp = expect.fingerprint?.trim() ?? '';
  if (FINGERPRINT_RE.test(fp)) return { pinned: null, fingerprint: fp };
  throw new InfraktError(
    'HOST_KEY_MISMATCH',
    `the pinned host key of ${server} cannot be read, so its identity cannot be verified. Nothing was sent to it.`,
    { hint: `verify the server's fingerprint out of band, then re-pin it with: infrakt server trust ${server}` },
  );
}
