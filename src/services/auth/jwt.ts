import { constants, createPublicKey, type JsonWebKey, type KeyObject, verify } from 'node:crypto';
import { InfraktError } from '../../core/errors.js';

/**
 * Verifies an ID token (a JWS) against the provider's JSON Web Key Set with node:crypto: asymmetric algorithms only
 * (never `none`, never HMAC with a public key), the key chosen by `kid`.
 */
export interface Jwk extends JsonWebKey {
  kid?: string;
  alg?: string;
  use?: string;
}

const ALGS: Record<string, { hash: string | null; kty: string; pss?: boolean; p1363?: boolean }> = {
  RS256: { hash: 'sha256', kty: 'RSA' },
  RS384: { hash: 'sha384', kty: 'RSA' },
  RS512: { hash: 'sha512', kty: 'RSA' },
  PS256: { hash: 'sha256', kty: 'RSA', pss: true },
  PS384: { hash: 'sha384', kty: 'RSA', pss: true },
  PS512: { hash: 'sha512', kty: 'RSA', pss: true },
  ES256: { hash: 'sha256', kty: 'EC', p1363: true },
  ES384: { hash: 'sha384', kty: 'EC', p1363: true },
  ES512: { hash: 'sha512', kty: 'EC', p1363: true },
  EdDSA: { hash: null, kty: 'OKP' },
};

const fail = (why: string) =>
  new InfraktError('UNAUTHORIZED', `the identity provider's ID token was refused: ${why}`, {
    hint: 'sign in again; if it keeps failing, check the provider settings (infrakt oidc list)',
  });

const b64 = (s: string) => Buffer.from(s, 'base64url');

function decodePart(s: string | undefined, what: string): Record<string, unknown> {
  try {
    const v = JSON.parse(b64(s ?? '').toString('utf8')) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw fail(`malformed ${what}`);
}

/** Returns the claims once the signature checks out; claims (iss, aud, exp, nonce) are the caller's to check. */
export function verifyJws(token: string, keys: readonly Jwk[]): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3) throw fail('not a signed JWT');
  const header = decodePart(parts[0], 'header');
  const alg = typeof header.alg === 'string' ? header.alg : '';
  const spec = ALGS[alg];
  if (!spec) throw fail(`algorithm ${alg || '(none)'} is not accepted`);
  const candidates = keys.filter(
    (k) =>
      k.kty === spec.kty &&
      (header.kid === undefined || k.kid === header.kid) &&
      (!k.alg || k.alg === alg) &&
      k.use !== 'enc',
  );
  if (!candidates.length) throw fail(`no key ${String(header.kid ?? '')} for ${alg} in the provider's key set`);
  const data = Buffer.from(`${parts[0]}.${parts[1]}`);
  const sig = b64(parts[2] ?? '');
  const ok = candidates.some((jwk) => {
    let key: KeyObject;
    try {
      key = createPublicKey({ key: jwk, format: 'jwk' });
    } catch {
      return false;
    }
    const opts = spec.pss
      ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
      : spec.p1363
        ? { key, dsaEncoding: 'ieee-p1363' as const }
        : key;
    try {
      return verify(spec.hash, data, opts, sig);
    } catch {
      return false;
    }
  });
  if (!ok) throw fail('bad signature');
  return decodePart(parts[1], 'claims');
}

/** The standard ID token checks: issuer, audience (and azp), expiry and issue time (60 s of clock skew), nonce. */
export function checkIdClaims(
  claims: Record<string, unknown>,
  want: { issuer: string; clientId: string; nonce: string; nowMs: number },
): void {
  const skew = 60;
  const now = Math.floor(want.nowMs / 1000);
  if (claims.iss !== want.issuer) throw fail(`issuer ${String(claims.iss)} is not ${want.issuer}`);
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!aud.includes(want.clientId)) throw fail('it was issued to another client');
  if (aud.length > 1 && claims.azp !== undefined && claims.azp !== want.clientId)
    throw fail('authorized party mismatch');
  if (typeof claims.exp !== 'number' || claims.exp + skew < now) throw fail('it has expired');
  if (typeof claims.iat === 'number' && claims.iat - skew > now) throw fail('it was issued in the future');
  if (claims.nonce !== want.nonce) throw fail('nonce mismatch (a replayed or foreign login)');
}
