// Authentication in front of a route: Caddy `forward_auth` to an identity-aware endpoint (Authentik's outpost,
// Authelia, oauth2-proxy …) or `basicauth` with a bcrypt hash. Pure: validated values → Caddyfile lines.

export type RouteAuth =
  | { readonly type: 'forward'; readonly url: string }
  | { readonly type: 'basic'; readonly user: string; readonly hash: string };

/** Identity headers copied from the auth endpoint's answer to the app (and stripped from what clients send). */
export const IDENTITY_HEADERS = [
  'X-Authentik-Username',
  'X-Authentik-Groups',
  'X-Authentik-Email',
  'X-Authentik-Name',
  'X-Authentik-Uid',
  'X-Authentik-Jwt',
  'X-Authentik-Meta-Jwks',
  'X-Authentik-Meta-Outpost',
  'X-Authentik-Meta-Provider',
  'X-Authentik-Meta-App',
  'X-Authentik-Meta-Version',
  'Remote-User',
  'Remote-Groups',
  'Remote-Email',
  'Remote-Name',
] as const;

/** Authentik's outpost serves its own callback paths under this prefix on the protected domain. */
export const AUTHENTIK_OUTPOST_PREFIX = '/outpost.goauthentik.io/';

export const BASIC_USER_RE = /^[A-Za-z0-9._@-]{1,64}$/;
// bcrypt in modular crypt format: $2a$/$2b$/$2y$, cost, 53 characters of bcrypt base64.
export const BCRYPT_RE = /^\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}$/;
// Caddyfile tokens: no whitespace, quotes, braces or `#`, so a value can't open a block or a comment.
const TOKEN_SAFE = /^[A-Za-z0-9._~!$&'()*+,;=:@%/?-]+$/;

export interface ForwardTarget {
  /** `scheme://host:port`, what forward_auth dials. */
  readonly upstream: string;
  /** Path (and query) of the auth request. */
  readonly uri: string;
}

/** Splits and checks a forward-auth URL; throws a message for people when it is not usable. */
export function forwardTarget(url: string): ForwardTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error('must be an http:// or https:// URL, e.g. http://127.0.0.1:9000/outpost.goauthentik.io/auth/caddy');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('must be an http:// or https:// URL');
  if (u.username || u.password) throw new Error('must not contain credentials');
  if (u.hash) throw new Error('must not contain a #fragment');
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  const upstream = `${u.protocol}//${u.hostname}:${port}`;
  const uri = `${u.pathname}${u.search}`;
  if (!TOKEN_SAFE.test(upstream) || !TOKEN_SAFE.test(uri)) throw new Error('contains characters Caddy cannot take');
  return { upstream, uri };
}

const b64 = (s: string): string => btoa(s);

/**
 * The lines of a site's `route { … }` that come before its reverse_proxy, one tab of indentation included.
 * Client-sent identity headers are removed first, so an app never trusts a header the auth endpoint did not set.
 */
export function authLines(auth: RouteAuth): string[] {
  if (auth.type === 'basic') {
    if (!BASIC_USER_RE.test(auth.user)) throw new Error(`invalid basic auth user: ${auth.user}`);
    if (!BCRYPT_RE.test(auth.hash)) throw new Error('invalid bcrypt hash for basic auth');
    // Base64 of the hash: the form every Caddy 2 release accepts (2.6 also takes the raw hash, older ones don't).
    return ['\tbasicauth {', `\t\t${auth.user} ${b64(auth.hash)}`, '\t}'];
  }
  const t = forwardTarget(auth.url);
  const lines = IDENTITY_HEADERS.map((h) => `\trequest_header -${h}`);
  if (t.uri.startsWith(AUTHENTIK_OUTPOST_PREFIX))
    lines.push(`\treverse_proxy ${AUTHENTIK_OUTPOST_PREFIX}* ${t.upstream}`);
  lines.push(
    `\tforward_auth ${t.upstream} {`,
    `\t\turi ${t.uri}`,
    `\t\tcopy_headers ${IDENTITY_HEADERS.join(' ')}`,
    '\t}',
  );
  // Caddy 2.6 sets a header the auth answer lacked to its literal placeholder text
  // ("{http.reverse_proxy.header.X}"): remove those, so an app sees only what the endpoint said.
  IDENTITY_HEADERS.forEach((h, i) => {
    lines.push(
      `\t@ikt_unset_${i} header_regexp ${h} ^\\{http\\.reverse_proxy\\.header\\.`,
      `\trequest_header @ikt_unset_${i} -${h}`,
    );
  });
  return lines;
}
