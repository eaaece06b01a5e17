import { existsSync } from 'node:fs';
import { InfraktError } from '../../core/errors.js';
import { Secret } from '../../core/secret.js';
import { readRegularFile } from '../local/bounded-file.js';
import { readKeyFile } from '../local/key-file.js';
import { hostKeyFromLine } from '../ssh/host-key.js';
import { ssh2 } from '../ssh/ssh2-module.js';

export interface DeviceKeys {
  /** The device's tunnel login (ed25519): private part only in the bootstrap script. */
  readonly tunnelPrivateKey: Secret;
  /** `ssh-ed25519 <base64>` */
  readonly tunnelPublicKey: string;
  /** The device's host key for infrakt, pinned before the device ever dials in. */
  readonly hostPrivateKey: Secret;
  /** `ecdsa-sha2-nistp384 <base64>` */
  readonly hostPublicKey: string;
  readonly hostFingerprint: string;
}

const keyLine = (pub: string) => pub.trim().split(/\s+/).slice(0, 2).join(' ');

/** Two fresh key pairs for one edge device (ssh2 writes the OpenSSH private key format). */
export function generateDeviceKeys(device: string): DeviceKeys {
  const tunnel = ssh2().utils.generateKeyPairSync('ed25519', { comment: `infrakt-edge:${device}` });
  const host = ssh2().utils.generateKeyPairSync('ecdsa', { bits: 384, comment: `infrakt-edge-host:${device}` });
  const hostInfo = hostKeyFromLine(keyLine(host.public));
  if (!hostInfo) throw new Error('generated host key did not parse');
  return {
    tunnelPrivateKey: new Secret(tunnel.private),
    tunnelPublicKey: keyLine(tunnel.public),
    hostPrivateKey: new Secret(host.private),
    hostPublicKey: hostInfo.line,
    hostFingerprint: hostInfo.fingerprint,
  };
}

/**
 * The public key of infrakt's login key, to authorise on the device: `<key>.pub` when it is there, else derived
 * from the private key (unlocked with INFRAKT_SSH_PASSPHRASE when it has a passphrase).
 */
export function publicKeyOf(keyPath: string, passphrase?: string): string {
  const pub = `${keyPath}.pub`;
  if (existsSync(pub)) {
    const line =
      readRegularFile(pub, 16 * 1024)
        .toString('utf8')
        .trim()
        .split('\n')[0] ?? '';
    if (hostKeyFromLine(keyLine(line))) return line.trim();
  }
  const parsed = ssh2().utils.parseKey(readKeyFile(keyPath), passphrase);
  if (parsed instanceof Error) {
    throw new InfraktError('SSH_AUTH', `cannot read the public key of ${keyPath}: ${parsed.message}`, {
      hint: `put its public key next to it as ${pub}, or set INFRAKT_SSH_PASSPHRASE`,
    });
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key) throw new InfraktError('SSH_AUTH', `no key in ${keyPath}`);
  return `${key.type} ${key.getPublicSSH().toString('base64')} infrakt`;
}
