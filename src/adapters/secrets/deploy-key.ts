import { generateKeyPairSync, randomBytes } from 'node:crypto';

// Per-app SSH deploy keys: ed25519 from Node's crypto, written in the OpenSSH formats that `ssh-add` and git
// hosts read (the private key unencrypted in memory; infrakt seals it under the master key before storing).

export interface DeployKeyPair {
  /** `ssh-ed25519 AAAA… <comment>`: what the user pastes into the git host. */
  readonly publicKey: string;
  /** `-----BEGIN OPENSSH PRIVATE KEY-----` (no passphrase). */
  readonly privateKey: string;
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const str = (b: Buffer | string) => {
  const buf = typeof b === 'string' ? Buffer.from(b) : b;
  return Buffer.concat([u32(buf.length), buf]);
};

/** A fresh ed25519 key pair; `comment` ends the public line (e.g. `infrakt-deploy web@prod-1`). */
export function generateDeployKey(comment: string): DeployKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d ?? '', 'base64url');
  const pub = Buffer.from((publicKey.export({ format: 'jwk' }).x as string) ?? '', 'base64url');
  if (seed.length !== 32 || pub.length !== 32) throw new Error('ed25519 key generation returned unexpected sizes');
  const type = 'ssh-ed25519';
  const pubBlob = Buffer.concat([str(type), str(pub)]);
  const check = randomBytes(4);
  let priv = Buffer.concat([check, check, str(type), str(pub), str(Buffer.concat([seed, pub])), str(comment)]);
  // Padded to the cipher block size (8 for "none") with 1, 2, 3, …
  const pad = (8 - (priv.length % 8)) % 8;
  priv = Buffer.concat([priv, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const body = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    str('none'),
    str('none'),
    str(''),
    u32(1),
    str(pubBlob),
    str(priv),
  ]);
  const b64 = body.toString('base64').replace(/.{1,70}/g, '$&\n');
  return {
    publicKey: `${type} ${pubBlob.toString('base64')} ${comment}`,
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}-----END OPENSSH PRIVATE KEY-----\n`,
  };
}
