import { InfraktError } from '../../core/errors.js';
import type { Jwk } from './jwt.js';

const TIMEOUT_MS = 10_000;

/** A JSON request to the identity provider, bounded in time and size; its errors never carry our secrets. */
export async function fetchJson(
  url: string,
  init: RequestInit & { what: string },
): Promise<Record<string, unknown> | unknown[]> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (e) {
    throw new InfraktError(
      'UNAUTHORIZED',
      `cannot reach the identity provider (${init.what}): ${(e as Error).message}`,
      {
        hint: 'check the provider URL (infrakt auth provider list) and that this host can reach it',
      },
    );
  }
  const text = await res.text();
  if (text.length > 1_000_000)
    throw new InfraktError('UNAUTHORIZED', `the identity provider's ${init.what} is too large`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  if (!res.ok || body === null || typeof body !== 'object') {
    const err = body && typeof body === 'object' ? (body as Record<string, unknown>).error : undefined;
    throw new InfraktError(
      'UNAUTHORIZED',
      `the identity provider refused the ${init.what} (HTTP ${res.status}${typeof err === 'string' ? `: ${err}` : ''})`,
      { hint: 'sign in again; check the client id and secret if it keeps failing' },
    );
  }
  return body as Record<string, unknown>;
}

export interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint?: string;
  token_endpoint_auth_methods_supported?: string[];
}

const cache = new Map<string, { at: number; value: Discovery; keys?: { at: number; keys: Jwk[] } }>();
const TTL_MS = 10 * 60_000;

/** The provider's /.well-known/openid-configuration (cached 10 min); its issuer must be the configured one. */
export async function discover(issuer: string): Promise<Discovery> {
  const hit = cache.get(issuer);
  if (hit && Date.now() - hit.at < TTL_MS) return hit.value;
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const d = (await fetchJson(url, { what: 'discovery document' })) as Partial<Discovery>;
  for (const k of ['issuer', 'authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
    if (typeof d[k] !== 'string')
      throw new InfraktError('UNAUTHORIZED', `the provider's discovery document has no ${k}`);
  }
  if (d.issuer !== issuer) {
    throw new InfraktError('UNAUTHORIZED', `the provider says its issuer is ${d.issuer}, not ${issuer}`, {
      hint: 'set the exact issuer URL: infrakt auth provider add … --issuer',
    });
  }
  cache.set(issuer, { at: Date.now(), value: d as Discovery });
  return d as Discovery;
}

/** The provider's signing keys (cached; fetched again when a token names a key we do not have). */
export async function signingKeys(d: Discovery, kid: unknown): Promise<Jwk[]> {
  const entry = cache.get(d.issuer);
  const fresh = entry?.keys && Date.now() - entry.keys.at < TTL_MS ? entry.keys.keys : null;
  if (fresh && (kid === undefined || fresh.some((k) => k.kid === kid))) return fresh;
  const set = (await fetchJson(d.jwks_uri, { what: 'key set' })) as { keys?: unknown };
  const keys = Array.isArray(set.keys) ? (set.keys as Jwk[]) : [];
  if (entry) entry.keys = { at: Date.now(), keys };
  return keys;
}
