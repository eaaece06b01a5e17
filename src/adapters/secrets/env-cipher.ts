import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { InfraktError } from '../../core/errors.js';

const VERSION = 'v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Associated data binds a ciphertext to its app and key: moved elsewhere, it fails to decrypt. */
function aad(appId: number, key: string): Buffer {
  return Buffer.from(`infrakt-env\0app:${appId}\0key:${key}`, 'utf8');
}

/**
 * Other secrets of the state (backup-target credentials, deploy keys, git tokens, registry passwords): the AAD
 * says what the value belongs to, so a value copied to another purpose fails to open.
 */
function purposeAad(purpose: string): Buffer {
  return Buffer.from(`infrakt-sealed\0${purpose}`, 'utf8');
}

export interface EnvCipher {
  encrypt(appId: number, key: string, plaintext: string): string;
  decrypt(appId: number, key: string, sealed: string, label?: { app: string }): string;
  /** Seals a non-env secret for `purpose` (e.g. `backup-target:offsite`); opened only with the same purpose. */
  seal(purpose: string, plaintext: string): string;
  unseal(purpose: string, sealed: string): string;
  /** `unseal` with errors naming `what` (e.g. `the deploy key of app web`) and how to set it again. */
  open(purpose: string, sealed: string, what: string): string;
}

function sealWith(masterKey: Buffer, ad: Buffer, plaintext: string): string {
  const nonce = randomBytes(NONCE_BYTES);
  const c = createCipheriv('aes-256-gcm', masterKey, nonce);
  c.setAAD(ad);
  const body = Buffer.concat([c.update(plaintext, 'utf8'), c.final(), c.getAuthTag()]);
  return `${VERSION}.${nonce.toString('base64')}.${body.toString('base64')}`;
}

function openWith(masterKey: Buffer, ad: Buffer, sealed: string, who: string, again?: string): string {
  const parts = sealed.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION) {
    throw new InfraktError(
      'SECRET',
      `cannot decrypt ${who}: unknown or corrupted format`,
      again ? { hint: again } : {},
    );
  }
  const nonce = Buffer.from(parts[1] ?? '', 'base64');
  const body = Buffer.from(parts[2] ?? '', 'base64');
  if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) {
    throw new InfraktError('SECRET', `cannot decrypt ${who}: truncated ciphertext`, again ? { hint: again } : {});
  }
  try {
    const d = createDecipheriv('aes-256-gcm', masterKey, nonce);
    d.setAAD(ad);
    d.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([d.update(body.subarray(0, body.length - TAG_BYTES)), d.final()]).toString('utf8');
  } catch {
    throw new InfraktError('SECRET', `cannot decrypt ${who}: wrong master key or tampered value`, {
      hint: `restore the master.key this value was written with${again ? `, or ${again}` : ''}`,
    });
  }
}

/** AES-256-GCM with a random 96-bit nonce per value. Sealed form: `v1.<nonce>.<ciphertext||tag>` (base64). */
export function envCipher(masterKey: Buffer): EnvCipher {
  if (masterKey.length !== 32) throw new InfraktError('SECRET', 'the master key must be 32 bytes');
  return {
    encrypt: (appId, key, plaintext) => sealWith(masterKey, aad(appId, key), plaintext),
    decrypt(appId, key, sealed, label) {
      const who = `${key} of app ${label?.app ?? `#${appId}`}`;
      return openWith(masterKey, aad(appId, key), sealed, who, 'set the variable again with infrakt env set');
    },
    seal: (purpose, plaintext) => sealWith(masterKey, purposeAad(purpose), plaintext),
    unseal: (purpose, sealed) => openWith(masterKey, purposeAad(purpose), sealed, purpose),
    open: (purpose, sealed, what) => openWith(masterKey, purposeAad(purpose), sealed, what, `set ${what} again`),
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
    unseal: (purpose, sealed) => get().unseal(purpose, sealed),
    open: (purpose, sealed, what) => loaded(what).open(purpose, sealed, what),
  };
}
