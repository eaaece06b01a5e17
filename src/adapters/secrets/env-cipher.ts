import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { InfraktError } from '../../core/errors.js';

const VERSION = 'v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Associated data binds a ciphertext to its app and key: moved elsewhere, it fails to decrypt. */
function aad(appId: number, key: string): Buffer {
  return Buffer.from(`infrakt-env\0app:${appId}\0key:${key}`, 'utf8');
}

/** Associated data of other secrets (deploy keys, git tokens, registry passwords): bound to what they are for. */
function sealAad(purpose: string): Buffer {
  return Buffer.from(`infrakt-secret\0${purpose}`, 'utf8');
}

export interface EnvCipher {
  encrypt(appId: number, key: string, plaintext: string): string;
  decrypt(appId: number, key: string, sealed: string, label?: { app: string }): string;
  /** Seals another secret under the master key, bound to `purpose` (e.g. `app:12:deploy-key`). */
  seal(purpose: string, plaintext: string): string;
  /** Opens what `seal` made for the same purpose; `what` names it in errors. */
  open(purpose: string, sealed: string, what: string): string;
}

function sealWith(masterKey: Buffer, aadBytes: Buffer, plaintext: string): string {
  const nonce = randomBytes(NONCE_BYTES);
  const c = createCipheriv('aes-256-gcm', masterKey, nonce);
  c.setAAD(aadBytes);
  const body = Buffer.concat([c.update(plaintext, 'utf8'), c.final(), c.getAuthTag()]);
  return `${VERSION}.${nonce.toString('base64')}.${body.toString('base64')}`;
}

function openWith(masterKey: Buffer, aadBytes: Buffer, sealed: string, who: string, hint: string): string {
  const parts = sealed.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION) {
    throw new InfraktError('SECRET', `cannot decrypt ${who}: unknown or corrupted format`, { hint });
  }
  const nonce = Buffer.from(parts[1] ?? '', 'base64');
  const body = Buffer.from(parts[2] ?? '', 'base64');
  if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) {
    throw new InfraktError('SECRET', `cannot decrypt ${who}: truncated ciphertext`, { hint });
  }
  try {
    const d = createDecipheriv('aes-256-gcm', masterKey, nonce);
    d.setAAD(aadBytes);
    d.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([d.update(body.subarray(0, body.length - TAG_BYTES)), d.final()]).toString('utf8');
  } catch {
    throw new InfraktError('SECRET', `cannot decrypt ${who}: wrong master key or tampered value`, {
      hint: `restore the master.key this value was written with, or ${hint}`,
    });
  }
}

/** AES-256-GCM with a random 96-bit nonce per value. Sealed form: `v1.<nonce>.<ciphertext||tag>` (base64). */
export function envCipher(masterKey: Buffer): EnvCipher {
  if (masterKey.length !== 32) throw new InfraktError('SECRET', 'the master key must be 32 bytes');
  const envHint = 'set the variable again with infrakt env set';
  return {
    encrypt: (appId, key, plaintext) => sealWith(masterKey, aad(appId, key), plaintext),
    decrypt(appId, key, sealed, label) {
      const who = `${key} of app ${label?.app ?? `#${appId}`}`;
      return openWith(masterKey, aad(appId, key), sealed, who, envHint);
    },
    seal: (purpose, plaintext) => sealWith(masterKey, sealAad(purpose), plaintext),
    open: (purpose, sealed, what) => openWith(masterKey, sealAad(purpose), sealed, what, `set ${what} again`),
  };
}

/**
 * Loads the master key on first use, so commands that never touch env values work without it.
 * A key that cannot be loaded fails a decrypt with an error naming the app and key.
 */
export function lazyEnvCipher(loadKey: () => Buffer): EnvCipher {
  let cipher: EnvCipher | undefined;
  const get = () => {
    cipher ??= envCipher(loadKey());
    return cipher;
  };
  const loaded = (who: string): EnvCipher => {
    try {
      return get();
    } catch (e) {
      if (!(e instanceof InfraktError)) throw e;
      throw new InfraktError('SECRET', `cannot decrypt ${who}: ${e.message}`, { hint: e.hint, cause: e });
    }
  };
  return {
    encrypt: (appId, key, plaintext) => get().encrypt(appId, key, plaintext),
    decrypt: (appId, key, sealed, label) =>
      loaded(`${key} of app ${label?.app ?? `#${appId}`}`).decrypt(appId, key, sealed, label),
    seal: (purpose, plaintext) => get().seal(purpose, plaintext),
    open: (purpose, sealed, what) => loaded(what).open(purpose, sealed, what),
  };
}
