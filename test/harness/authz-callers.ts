// Every kind of caller the API tells apart, for the authorization matrices (API routes, MCP tools): a user of
// each role signed in with their session cookie and CSRF token, a token of each scope as Bearer, and the owner
// with its API key. Requests go into the API app in process; each comes from its own documentation address
// (TEST-NET-3, never contacted) so the sign-in rate limit per address never decides an outcome.
import { expect } from 'vitest';
import type { Level } from '../../src/core/access.js';
import { createToken } from '../../src/services/tokens/tokens.js';
import { addUser } from '../../src/services/users/users.js';
import { type ApiFixture, body } from '../unit/api-fixture.js';

export interface Caller {
  label: string;
  /** What it may do: the role of a user, the scope of a token, admin for the owner. */
  level: Level;
  headers: Record<string, string>;
}

/** The `incoming` of an in-process request (`app.request(path, init, incoming)`), a new address each call. */
export function requestSources(): () => { incoming: { socket: { remoteAddress: string } } } {
  let seq = 0;
  return () => ({ incoming: { socket: { remoteAddress: `203.0.113.${(++seq % 250) + 1}` } } });
}

/**
 * Adds users u-viewer, u-deployer, u-admin (signed in) and tokens t-read, t-deploy, t-admin to the fixture's
 * store; returns them with the owner key, seven callers. Six scrypt hashes and three sign-ins: give the hook a
 * minute on a busy machine.
 */
export async function callers(
  f: ApiFixture,
  source: () => { incoming: { socket: { remoteAddress: string } } } = requestSources(),
): Promise<Caller[]> {
  const signIn = async (name: string, password: string): Promise<Record<string, string>> => {
    const res = await f.app.request(
      '/api/auth/login',
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: name, password }),
      },
      source(),
    );
    expect(res.status).toBe(200);
    const cookie = (res.headers.get('Set-Cookie') ?? '').split(';')[0]!;
    expect(cookie).toMatch(/^infrakt_session=/);
    const me = await body(res);
    return { Cookie: cookie, 'X-CSRF-Token': me.csrfToken };
  };
  const out: Caller[] = [];
  const roles = [
    ['viewer', 'read'],
    ['deployer', 'deploy'],
    ['admin', 'admin'],
  ] as const;
  for (const [role, level] of roles) {
    const password = `u-${role}-password-long`;
    await addUser(f.ctx, { name: `u-${role}`, role, password });
    out.push({ label: `user ${role}`, level, headers: await signIn(`u-${role}`, password) });
    const t = await createToken(f.ctx, { name: `t-${level}`, scope: level });
    out.push({ label: `token ${level}`, level, headers: { Authorization: `Bearer ${t.secret}` } });
  }
  out.push({ label: 'owner key', level: 'admin', headers: { 'X-API-Key': f.key } });
  return out;
}
