import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { InfraktError } from '../../core/errors.js';

export const API_KEY_BYTES = 32;
const KEY_RE = /^[A-Za-z0-9_-]{43}$/;

export function generateApiKey(): string {
  return randomBytes(API_KEY_BYTES).toString('base64url');
}

/** Creates the API key file if missing (0600, exclusive create: two first starts can't race). */
export function ensureApiKey(file: string): { key: string; created: boolean } {
  try {
    const key = generateApiKey();
    writeFileSync(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
    return { key, created: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  return { key: loadApiKey(file), created: false };
}

export function loadApiKey(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new InfraktError('SECRET', missing ? `no API key at ${file}` : `cannot read the API key ${file}`, {
      hint: missing
        ? 'start the API once (infrakt serve) or run: infrakt api-key rotate'
        : 'check the file permissions',
    });
  }
  const key = text.trim();
  if (!KEY_RE.test(key)) {
    throw new InfraktError('SECRET', `the API key file ${file} is malformed`, {
      hint: 'create a new key with: infrakt api-key rotate',
    });
  }
  // A readable key is a leaked key: tighten permissions if someone loosened them.
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return key;
}

/** Replaces the key atomically (temp file + rename); a running `infrakt serve` picks it up on the next request. */
export function rotateApiKey(file: string): string {
  const key = generateApiKey();
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, `${key}\n`, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, file);
  return key;
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Constant time whatever the lengths: both sides are hashed to 32 bytes before timingSafeEqual. */
export function apiKeyMatches(expected: string, given: string): boolean {
  return timingSafeEqual(digest(expected), digest(given));
}

/**
 * Reads the key file, re-reading only when it changed (inode, size or mtime), so
 * `infrakt api-key rotate` takes effect without a restart while a request costs one stat().
 */
export function apiKeySource(file: string): () => string {
  let cached: { sig: string; key: string } | undefined;
  return () => {
    const st = statSync(file, { throwIfNoEntry: false });
    if (!st) throw new InfraktError('SECRET', `no API key at ${file}`, { hint: 'run: infrakt api-key rotate' });
    const sig = `${st.ino}:${st.size}:${st.mtimeMs}`;
    if (cached?.sig !== sig) cached = { sig, key: loadApiKey(file) };
    return cached.key;
  };
}
