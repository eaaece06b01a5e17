import { createHash } from 'node:crypto';

/** The MD5 fingerprint the Hetzner API shows for an SSH key (`aa:bb:…`), from an OpenSSH public key line. */
export function md5Fingerprint(publicKey: string): string {
  const b64 = publicKey.trim().split(/\s+/)[1] ?? '';
  const hex = createHash('md5').update(Buffer.from(b64, 'base64')).digest('hex');
  return hex.match(/../g)!.join(':');
}
