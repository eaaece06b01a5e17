import { InfraktError } from '../../core/errors.js';
import type { Jwk } from './jwt.js';
import { isLoopbackHost } from './providers.js';

const TIMEOUT_MS = 10_000;

/** fetch() says only "fetch failed"; the cause (ECONNREFUSED, a timeout, a TLS error) is what a person needs. */
function reason(e: unknown): string {
  const err = e as Error & { cause?: { code?: unknown; message?: unknown } };
  if (err.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  const cause = err.cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return err.message;
}

/** A JSON request to the identity provider, bounded in time and size; its errors never carry our secrets. */
export async function fetchJson(
  url: string,
  init: RequestInit & { what: string },
): Promise<Record<string, unknown> | unknown[]> {
  let res: Response;
  try {
    res = await fetch(url, { ...init, redirect: 'error', signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (e) {
    throw new InfraktError('UNAUTHORIZED', `cannot reach the identity provider (${init.what}): ${reason(e)}`, {
      hint: 'check the provider URL (infrakt oidc list) and that this host can reach it',
    });
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
  response_types_supported?: string[];
  code_challenge_methods_supported?: string[];
  id_token_signing_alg_values_supported?: string[];
}

/** Algorithms `verifyJws` accepts; a provider that signs with none of them cannot be used. */
const ACCEPTED_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

const badDocument = (why: string) =>
  new InfraktError('UNAUTHORIZED', `the provider's discovery document is not usable: ${why}`, {
    hint: 'check the issuer URL; infrakt needs an OpenID Connect provider with the authorization code flow',
  });

/**
 * The endpoints we send the browser, the code and the client secret to: https; plain http only on loopback, and only
 * for a provider that is itself on loopback (a remote provider cannot point us at this machine's plain ports).
 */
function checkEndpoint(d: Record<string, unknown>, key: string, required: boolean, localIssuer: boolean): void {
  const v = d[key];
  if (v === undefined && !required) return;
  if (typeof v !== 'string') throw badDocument(`it has no ${key}`);
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw badDocument(`${key} is not a URL`);
  }
  const ok = url.protocol === 'https:' || (url.protocol === 'http:' && localIssuer && isLoopbackHost(url.hostname));
  if (!ok || url.username || url.password)
    throw badDocument(`${key} must be an https URL (${url.protocol}//${url.host})`);
}

const listOf = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;

/** What infrakt relies on in a discovery document: its endpoints, and support for code + PKCE S256 + an algorithm. */
export function checkDiscovery(issuer: string, raw: Record<string, unknown>): Discovery {
  const local = URL.canParse(issuer) && isLoopbackHost(new URL(issuer).hostname);
  for (const k of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) checkEndpoint(raw, k, true, local);
  checkEndpoint(raw, 'userinfo_endpoint', false, local);
  if (raw.issuer !== issuer) {
    throw new InfraktError('UNAUTHORIZED', `the provider says its issuer is ${String(raw.issuer)}, not ${issuer}`, {
      hint: 'set the exact issuer URL the provider announces (with or without the trailing slash)',
    });
  }
  const responseTypes = listOf(raw.response_types_supported);
  if (responseTypes && !responseTypes.includes('code'))
    throw badDocument('it does not offer the authorization code flow');
  const pkce = listOf(raw.code_challenge_methods_supported);
  if (pkce && !pkce.includes('S256')) throw badDocument('it does not support PKCE with S256');
  const algs = listOf(raw.id_token_signing_alg_values_supported);
  if (algs && !algs.some((a) => ACCEPTED_ALGS.includes(a)))
    throw badDocument(`it signs ID tokens only with ${algs.join(', ')} (infrakt accepts RS*, PS*, ES*, EdDSA)`);
  return raw as unknown as Discovery;
}

const cache = new Map<string, { at: number; value: Discovery; keys?: { at: number; keys: Jwk[] } }>();
const TTL_MS = 10 * 60_000;

/** The provider's /.well-known/openid-configuration (cached 10 min; `fresh` reads it again), checked. */
export async function discover(issuer: string, o: { fresh?: boolean } = {}): Promise<Discovery> {
  const hit = cache.get(issuer);
  if (!o.fresh && hit && Date.now() - hit.at < TTL_MS) return hit.value;
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const raw = await fetchJson(url, { what: 'discovery document' });
  if (Array.isArray(raw)) throw badDocument('it is not a JSON object');
  const d = checkDiscovery(issuer, raw);
  cache.set(issuer, { at: Date.now(), value: d });
  return d;
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
