import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_PERMISSIONS, type RoutePermission } from '../../src/api/auth/route-permissions.js';
import { atLeast, type Level } from '../../src/core/access.js';
import { callers as allCallers, type Caller, requestSources } from '../harness/authz-callers.js';
import { type ApiFixture, apiFixture, registeredApiRoutes } from './api-fixture.js';

/**
 * Every route × every role and token scope, against the one permission table: allowed → never a level refusal,
 * below the route's level → 403 FORBIDDEN naming the level it needs. Users come in with the session cookie and
 * CSRF token, tokens as Bearer, the owner with its API key (the laptop path: allowed everywhere).
 */
let f: ApiFixture;
const source = requestSources();
let callers: Caller[] = [];

beforeAll(async () => {
  f = apiFixture({ rateLimit: { max: 10_000, windowMs: 60_000 } });
  callers = await allCallers(f, source);
}, 60_000);
afterAll(async () => {
  await f?.cleanup();
});

const concrete = (path: string) =>
  path
    .replace(':name', 'nothere')
    .replace(':id', 'j_nothere')
    .replace(':key', 'SOME_KEY')
    .replace(':domain', 'a.example.com')
    .replace(/:[a-zA-Z]+/g, 'x');

// Signing out ends the caller's session: walked separately (tests of sessions), not in the loop.
const ENDS_SESSION = new Set(['POST /api/auth/logout', 'POST /api/auth/logout-all']);

const allowed = (have: Level, need: RoutePermission) => need === 'self' || (need !== 'public' && atLeast(have, need));

describe('route permissions', () => {
  it('every route × every role and scope matches the table', async () => {
    const routes = registeredApiRoutes(f.app).filter((r) => {
      const p = ROUTE_PERMISSIONS[`${r.method} ${r.path}`];
      return p !== 'public' && !ENDS_SESSION.has(`${r.method} ${r.path}`);
    });
    expect(routes.length).toBeGreaterThan(80);
    const seen = { allowed: 0, refused: 0 };
    for (const r of routes) {
      const need = ROUTE_PERMISSIONS[`${r.method} ${r.path}`]!;
      for (const who of callers) {
        const res = await f.app.request(
          concrete(r.path),
          {
            method: r.method,
            headers: { ...who.headers, 'Content-Type': 'application/json' },
            body: r.method === 'GET' ? undefined : '{}',
          },
          source(),
        );
        const text = await res.text();
        const err = res.headers.get('content-type')?.includes('json') && text ? JSON.parse(text).error : undefined;
        const levelRefusal = res.status === 403 && err?.details?.need !== undefined;
        const row = `${r.method} ${r.path} as ${who.label}`;
        if (allowed(who.level, need)) {
          seen.allowed++;
          expect([row, levelRefusal, res.status === 401]).toEqual([row, false, false]);
        } else {
          seen.refused++;
          expect([row, res.status, err?.code, err?.details?.need]).toEqual([row, 403, 'FORBIDDEN', need]);
          expect(err.message).toContain(`needs ${need} access`);
        }
      }
    }
    // Both outcomes are exercised for a meaningful share of the table.
    expect(seen.refused).toBeGreaterThan(100);
    expect(seen.allowed).toBeGreaterThan(300);
  }, 180_000);

  it('the table says what the issue asks: viewers read, deployers deploy, admins administer', () => {
    expect(ROUTE_PERMISSIONS['GET /api/apps']).toBe('read');
    expect(ROUTE_PERMISSIONS['POST /api/apps/:name/deploy']).toBe('deploy');
    expect(ROUTE_PERMISSIONS['POST /api/apps/:name/rollback']).toBe('deploy');
    expect(ROUTE_PERMISSIONS['PUT /api/apps/:name/env']).toBe('deploy');
    for (const k of [
      'POST /api/servers',
      'POST /api/servers/:name/provision',
      'POST /api/databases',
      'POST /api/users',
      'POST /api/tokens',
      'PUT /api/policies',
      'GET /api/audit',
      // Allowing an app privileged compose options hands out root on its server.
      'PUT /api/apps/:name/privileges',
      // Uninstalling runs a script as root on the server, or destroys an app.
      'DELETE /api/catalog/installed/:name',
    ]) {
      expect([k, ROUTE_PERMISSIONS[k]]).toEqual([k, 'admin']);
    }
  });
});
