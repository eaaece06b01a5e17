import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { recordAudit } from '../../services/audit/audit-log.js';
import type { Ctx } from '../../services/shared/context.js';
import type { ApiEnv } from '../route-kit.js';
import { permissionOf } from './authenticate.js';
import { ROUTE_PERMISSIONS, routeKey } from './route-permissions.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const MAX_BODY = 64 * 1024;

/** The route pattern of a request, e.g. `POST /api/apps/:name/deploy` (its path when no route matched). */
function actionOf(c: Context): string {
  for (const r of matchedRoutes(c)) {
    const key = routeKey(c.req.method, r.path);
    if (key in ROUTE_PERMISSIONS) return key;
  }
  return routeKey(c.req.method, c.req.path);
}

/** The values of the pattern's `:params` in the path, e.g. `web` for /api/apps/web/deploy. */
function targetOf(action: string, path: string): string {
  const pattern = action.split(' ')[1] ?? '';
  const want = pattern.split('/');
  const got = path.split('/');
  const values = want.flatMap((seg, i) => (seg.startsWith(':') && got[i] ? [decodeURIComponent(got[i])] : []));
  return values.join('/') || '-';
}

async function bodyOf(c: Context): Promise<unknown> {
  const type = c.req.header('Content-Type') ?? '';
  if (!type.includes('json')) return undefined;
  try {
    const text = await c.req.raw.clone().text();
    return text.length > MAX_BODY ? `[${text.length} bytes]` : JSON.parse(text);
  } catch {
    return '[unparsable body]';
  }
}

/**
 * Every change made through the API lands in the audit log: who (the principal, or `anonymous` when refused before
 * signing in), what (the route), on what (its path parameters), with which parameters (body and query, secrets
 * redacted), the result (status and error code, the job started) and from where. Sign-in routes record their own
 * entries (with the user name tried); a flood of rate-limited attempts is not recorded.
 */
export function auditRequests(base: () => Ctx): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (SAFE.has(c.req.method) || !c.req.path.startsWith('/api/')) return next();
    const body = await bodyOf(c);
    await next();
    if (permissionOf(c) === 'public' || c.res.status === 429) return;
    const p = c.var.principal;
    const ctx: Ctx = c.var.ctx ?? { ...base(), source: c.var.clientAddress };
    let result = String(c.res.status);
    if (c.res.status >= 400) {
      const err = (await c.res
        .clone()
        .json()
        .catch(() => null)) as { error?: { code?: string } } | null;
      if (err?.error?.code) result += ` ${err.error.code}`;
    }
    const job = /^\/api\/jobs\/([A-Za-z0-9_-]+)$/.exec(c.res.headers.get('Location') ?? '')?.[1];
    const query = c.req.query();
    const action = actionOf(c);
    await recordAudit(ctx, {
      action,
      target: targetOf(action, c.req.path),
      params: {
        ...(body !== undefined ? { body } : {}),
        ...(Object.keys(query).length ? { query } : {}),
        ...(job ? { job } : {}),
      },
      result,
      actor: p ? { kind: p.kind, name: p.name } : { kind: 'anonymous', name: 'anonymous' },
    }).catch((e) => {
      // The change happened; failing the response now would lie about it. Say so in the log.
      process.stderr.write(`infrakt: could not write the audit entry for ${action}: ${(e as Error).message}\n`);
    });
  };
}
