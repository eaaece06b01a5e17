import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { InfraktError } from '../../core/errors.js';

export const MASTER_KEY_BYTES = 32;

/** Creates the master key if missing (0600, exclusive create so two processes can't race). Returns true if created. */
export function ensureMasterKey(file: string): boolean {
  try {
    writeFileSync(file, randomBytes(MASTER_KEY_BYTES), { mode: 0o600, flag: 'wx' });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

export function loadMasterKey(file: string): Buffer {
  let key: Buffer;
  try {
    key = readFileSync(file);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new InfraktError(
      'SECRET',
      missing ? `the master key ${file} is missing` : `cannot read the master key ${file}`,
      {
        hint: missing
          ? 'restore it from your backup (stored env values need it); if none were ever stored, infrakt init makes a new one'
          : 'check the file permissions',
      },
    );
  }
  if (key.length !== MASTER_KEY_BYTES) {
    throw new InfraktError('SECRET', `the master key ${file} is ${key.length} bytes, expected ${MASTER_KEY_BYTES}`, {
      hint: 'restore the original master.key from your backup',
    });
  }
  // Tighten permissions if someone loosened them; a readable key is a leaked key.
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return key;
}
