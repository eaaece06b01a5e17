import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * Passwords are hashed with scrypt (node:crypto): N=2^15, r=8, p=1 (OWASP's minimum), a 16-byte random salt and a
 * 32-byte key, stored as `scrypt$N$r$p$<salt>$<key>` (base64) so the parameters can be raised later.
 */
const N = 1 << 15;
const R = 8;
const P = 1;
const KEYLEN = 32;
// scrypt needs 128·N·r bytes; Node's default ceiling (32 MiB) is exactly that, so leave headroom.
const MAXMEM = 64 * 1024 * 1024;

function derive(password: string, salt: Buffer, n: number, r: number, p: number, len: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, len, { N: n, r, p, maxmem: MAXMEM }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, N, R, P, KEYLEN);
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

// A hash to check against when there is no user, so an unknown name costs as long as a wrong password.
const DUMMY = `scrypt$${N}$${R}$${P}$${Buffer.alloc(16).toString('base64')}$${Buffer.alloc(KEYLEN).toString('base64')}`;

/** Constant-time check; a malformed or missing hash is a mismatch (after the same work). */
export async function verifyPassword(password: string, stored: string | null | undefined): Promise<boolean> {
  const parts = (stored ?? DUMMY).split('$');
  const ok = parts.length === 6 && parts[0] === 'scrypt';
  const [n, r, p] = ok ? parts.slice(1, 4).map(Number) : [N, R, P];
  const salt = Buffer.from(ok ? (parts[4] ?? '') : '', 'base64');
  const want = Buffer.from(ok ? (parts[5] ?? '') : '', 'base64');
  const safe = (x: number | undefined, max: number) => Number.isInteger(x) && (x as number) > 0 && (x as number) <= max;
  if (!ok || !safe(n, 1 << 20) || !safe(r, 32) || !safe(p, 16) || want.length < 16) {
    await derive(password, Buffer.alloc(16), N, R, P, KEYLEN);
    return false;
  }
  const got = await derive(password, salt, n!, r!, p!, want.length);
  return timingSafeEqual(got, want) && stored !== undefined && stored !== null;
}
