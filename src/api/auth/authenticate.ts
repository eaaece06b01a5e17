import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { apiKeyMatches } from '../../adapters/secrets/api-key.js';
import { atLeast, levelError, ownerPrincipal, type Principal } from '../../core/access.js';
import { InfraktError, isInfraktError } from '../../core/errors.js';
import type { Ctx } from '../../services/shared/context.js';
import { authenticateToken, looksLikeToken, tokenPrincipal } from '../../services/tokens/tokens.js';
import { csrfMatches, type SessionPolicy, sessionOf } from '../../services/users/sessions.js';
import { userPrincipal } from '../../services/users/users.js';
import { API_KEY_HEADER, type ClientAddress, type FailureLimiter } from '../auth.js';
import { apiError } from '../errors.js';
import { clearCookie, readCookie, SESSION_COOKIE } from './cookies.js';
import { ROUTE_PERMISSIONS, type RoutePermission, routeKey } from './route-permissions.js';

export const CSRF_HEADER = 'X-CSRF-Token';

export interface AuthOptions {
  /** The owner's API key (re-read when the file changes). */
  apiKey: () => string;
  limiter: FailureLimiter;
  clientAddress: ClientAddress;
  sessions: SessionPolicy;
  /** Whether this request reached us over TLS (directly, or through a trusted proxy saying so). */
  isSecure: (c: Context) => boolean;
}

/** The permission of the route this request matched (first registered handler); undefined: no such route. */
export function permissionOf(c: Context): RoutePermission | undefined {
  const method = c.req.method === 'HEAD' ? 'GET' : c.req.method;
  for (const r of matchedRoutes(c)) {
    const p = ROUTE_PERMISSIONS[routeKey(r.method, r.path)] ?? ROUTE_PERMISSIONS[routeKey(method, r.path)];
    if (p && (r.method === method || r.method === 'ALL')) return p;
  }
  return undefined;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface Authenticated {
  principal: Principal;
  /** The session cookie's token when the request was made with one. */
  session: string | null;
}

/**
 * Who is calling: the owner's API key (X-API-Key), a scoped token (Authorization: Bearer, or X-API-Key), or the
 * dashboard's session cookie — which must bring the session's CSRF token on every change. Failed attempts count
 * against the address (429 once too many); a refused level is 403 without counting.
 */
export function authenticate(ctx: Ctx, o: AuthOptions): MiddlewareHandler {
  return async (c, next) => {
    const perm = permissionOf(c);
    if (perm === 'public') return next();
    const addr = o.clientAddress(c);
    // The owner's key is always accepted: only failures are throttled, so a local process (which shares 127.0.0.1
    // with the owner's browser and tunnels) cannot lock the owner out by failing on purpose.
    const given = c.req.header(API_KEY_HEADER);
    const owner = given !== undefined && given !== '' && apiKeyMatches(o.apiKey(), given);
    const wait = owner ? 0 : o.limiter.blockedFor(addr);
    if (wait > 0) {
      c.header('Retry-After', String(Math.ceil(wait / 1000)));
      return apiError(
        c,
        new InfraktError('RATE_LIMITED', 'too many failed sign-in attempts from this address', {
          hint: `wait ${Math.ceil(wait / 1000)} s; the owner key is in $INFRAKT_HOME/api_key (infrakt api-key show)`,
        }),
      );
    }
    let who: Authenticated;
    try {
      who = await identify(ctx, c, o);
    } catch (e) {
      if (!isInfraktError(e)) throw e;
      if (e.code === 'UNAUTHORIZED' || e.code === 'FORBIDDEN') o.limiter.fail(addr);
      if (readCookie(c, SESSION_COOKIE) && e.code === 'UNAUTHORIZED')
        c.header('Set-Cookie', clearCookie(SESSION_COOKIE, o.isSecure(c)));
      return apiError(c, e);
    }
    if (who.session && !SAFE.has(c.req.method) && !csrfMatches(who.session, c.req.header(CSRF_HEADER))) {
      return apiError(
        c,
        new InfraktError('FORBIDDEN', `missing or wrong ${CSRF_HEADER}`, {
          hint: 'changes made with the session cookie must send the CSRF token from GET /api/auth/me',
        }),
      );
    }
    if (perm && perm !== 'self' && !atLeast(who.principal.level, perm)) {
      return apiError(c, levelError(who.principal, perm, `${c.req.method} ${c.req.path}`));
    }
    c.set('principal', who.principal);
    c.set('session', who.session);
    await next();
  };
}

async function identify(ctx: Ctx, c: Context, o: AuthOptions): Promise<Authenticated> {
  const key = c.req.header(API_KEY_HEADER);
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('Authorization') ?? '')?.[1];
  if (key !== undefined && key !== '') {
    if (apiKeyMatches(o.apiKey(), key)) return { principal: ownerPrincipal('owner'), session: null };
    if (!looksLikeToken(key)) {
      throw new InfraktError('FORBIDDEN', 'invalid API key', {
        hint: 'the key may have been rotated; print the current one with: infrakt api-key show',
      });
    }
    return { principal: tokenPrincipal(await authenticateToken(ctx, key)), session: null };
  }
  if (bearer) return { principal: tokenPrincipal(await authenticateToken(ctx, bearer)), session: null };
  const cookie = readCookie(c, SESSION_COOKIE);
  if (cookie) {
    const s = await sessionOf(ctx, cookie, o.sessions);
    if (!s) throw new InfraktError('UNAUTHORIZED', 'your session has ended', { hint: 'sign in again' });
    return { principal: userPrincipal(s.user), session: cookie };
  }
  throw new InfraktError('UNAUTHORIZED', 'missing API key', {
    hint: `send it in the ${API_KEY_HEADER} header (infrakt api-key show), a token as Authorization: Bearer, or sign in`,
  });
}
