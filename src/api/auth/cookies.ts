import type { Context } from 'hono';

export const SESSION_COOKIE = 'infrakt_session';
export const OIDC_COOKIE = 'infrakt_oidc';

/** A cookie from the request's Cookie header (first of that name). */
export function readCookie(c: Context, name: string): string | undefined {
  const header = c.req.header('Cookie');
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/**
 * The session cookie's attributes: HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it),
 * Path=/ and Secure whenever the dashboard is reached over TLS.
 */
export function cookieHeader(
  name: string,
  value: string,
  o: { secure: boolean; maxAgeSeconds: number; sameSite?: 'Strict' | 'Lax'; path?: string },
): string {
  return [
    `${name}=${encodeURIComponent(value)}`,
    `Path=${o.path ?? '/'}`,
    `Max-Age=${Math.max(0, Math.floor(o.maxAgeSeconds))}`,
    'HttpOnly',
    `SameSite=${o.sameSite ?? 'Strict'}`,
    ...(o.secure ? ['Secure'] : []),
  ].join('; ');
}

export const clearCookie = (name: string, secure: boolean, path = '/') =>
  cookieHeader(name, '', { secure, maxAgeSeconds: 0, path, sameSite: 'Lax' });
