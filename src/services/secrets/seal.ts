import type { EnvCipher } from '../../adapters/secrets/env-cipher.js';

/**
 * Named secrets and provider tokens are sealed with the env cipher (AES-256-GCM under the master key) in a
 * namespace no app can reach: app ids start at 1, so "app 0" is the store's own, and the key carries the kind
 * and name. The associated data binds each value to its name: a row copied under another name fails to open.
 */
const STORE_NAMESPACE = 0;

export type SealedKind = 'secret' | 'provider';

export function seal(cipher: EnvCipher, kind: SealedKind, name: string, value: string): string {
  return cipher.encrypt(STORE_NAMESPACE, `${kind}/${name}`, value);
}

export function unseal(cipher: EnvCipher, kind: SealedKind, name: string, sealed: string): string {
  return cipher.decrypt(STORE_NAMESPACE, `${kind}/${name}`, sealed, { app: `(${kind} store)` });
}
