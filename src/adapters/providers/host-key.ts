import { Secret } from '../../core/secret.js';
import { hostKeyFromLine } from '../ssh/host-key.js';
import { ssh2 } from '../ssh/ssh2-module.js';

export interface GeneratedHostKey {
  /** OpenSSH private key (PEM `OPENSSH PRIVATE KEY`): leaves this process only inside the user data. */
  readonly privateKey: Secret;
  /** `ssh-ed25519 <base64> infrakt-host-key` */
  readonly publicKey: string;
  /** `ssh-ed25519 <base64>`, what gets pinned. */
  readonly line: string;
  readonly fingerprint: string;
}

/** A fresh ed25519 host key for a server infrakt is about to create (ssh2 writes the OpenSSH format). */
export function generateHostKey(): GeneratedHostKey {
  const pair = ssh2().utils.generateKeyPairSync('ed25519', { comment: 'infrakt-host-key' });
  const line = pair.public.trim().split(/\s+/).slice(0, 2).join(' ');
  const info = hostKeyFromLine(line);
  if (!info) throw new Error('generated host key did not parse');
  return { privateKey: new Secret(pair.private), publicKey: pair.public.trim(), line, fingerprint: info.fingerprint };
}
