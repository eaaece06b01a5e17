import { BASIC_USER_RE, BCRYPT_RE, forwardTarget, type RouteAuth } from '../../core/caddy/auth.js';
import { InfraktError } from '../../core/errors.js';

/**
 * The auth in front of an app's route, as kept in its settings_json (`auth`). A setting that does not read as
 * valid fails the config render (closed, never open): the setter validates, so this means a damaged record.
 */
export function routeAuthOf(settingsJson: string | null | undefined): RouteAuth | undefined {
  if (!settingsJson) return undefined;
  const a = (JSON.parse(settingsJson) as { auth?: { type?: unknown; user?: unknown; hash?: unknown; url?: unknown } })
    .auth;
  if (!a) return undefined;
  if (a.type === 'basic' && typeof a.user === 'string' && typeof a.hash === 'string') {
    if (BASIC_USER_RE.test(a.user) && BCRYPT_RE.test(a.hash)) return { type: 'basic', user: a.user, hash: a.hash };
  }
  if (a.type === 'forward' && typeof a.url === 'string') {
    forwardTarget(a.url);
    return { type: 'forward', url: a.url };
  }
  throw new InfraktError('INTERNAL', 'an app has an unreadable auth setting: refusing to render its route without it', {
    hint: 'set it again with: infrakt app update <app> --auth forward:URL|basic:USER|none',
  });
}

/** What is in front of an app's route, for faces: the basic auth user but never its hash. */
export function authView(
  appName: string,
  settingsJson: string | null | undefined,
): { app: string; auth: 'none' | 'basic' | 'forward'; user: string | null; url: string | null } {
  const a = routeAuthOf(settingsJson);
  return {
    app: appName,
    auth: a?.type ?? 'none',
    user: a?.type === 'basic' ? a.user : null,
    url: a?.type === 'forward' ? a.url : null,
  };
}
