import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { z } from 'zod';
import { ROLES } from '../../core/access.js';
import { InfraktError, isInfraktError } from '../../core/errors.js';
import { nameSchema } from '../../core/schemas/common.js';
import { passwordSchema } from '../../core/schemas/team.js';
import { authProvidersSchema, type MeView, meSchema } from '../../core/schemas/views/team.js';
import { recordAudit } from '../../services/audit/audit-log.js';
import { finishSignIn, startSignIn } from '../../services/auth/oidc-flow.js';
import { publicProviders } from '../../services/auth/providers.js';
import {
  checkPassword,
  createSession,
  csrfTokenOf,
  endAllSessions,
  endSession,
  type SessionPolicy,
  sessionOf,
} from '../../services/users/sessions.js';
import { setPassword } from '../../services/users/users.js';
import { clearCookie, cookieHeader, OIDC_COOKIE, readCookie, SESSION_COOKIE } from '../auth/cookies.js';
import type { ClientAddress, FailureLimiter } from '../auth.js';
import { apiError } from '../errors.js';
import { type Api, type ApiEnv, ERRORS, json, security } from '../route-kit.js';

const tags = ['auth'];
const OIDC_PATH = '/api/auth/oidc';

export interface AuthRouteOptions {
  limiter: FailureLimiter;
  clientAddress: ClientAddress;
  sessions: SessionPolicy;
  isSecure: (c: Context) => boolean;
}

const ok = z.object({ ok: z.literal(true), sessionsEnded: z.number().int().optional() }).meta({ id: 'Ok' });

/** Dashboard sign-in: user name and password, or an identity provider; sign-out (here, or everywhere); who am I. */
export function authRoutes(api: Api, o: AuthRouteOptions): void {
  const setSession = (c: Context, token: string, expiresAt: string) =>
    c.header(
      'Set-Cookie',
      cookieHeader(SESSION_COOKIE, token, {
        secure: o.isSecure(c),
        maxAgeSeconds: (Date.parse(expiresAt) - Date.now()) / 1000,
      }),
      { append: true },
    );

  const me = async (c: Context<ApiEnv>): Promise<MeView> => {
    const p = c.var.principal;
    const s = c.var.session ? await sessionOf(c.var.ctx, c.var.session, o.sessions) : null;
    return {
      kind: p.kind,
      name: p.name,
      level: p.level,
      role: p.kind === 'user' ? ROLES[['read', 'deploy', 'admin'].indexOf(p.level)]! : null,
      servers: p.servers ? [...p.servers] : null,
      apps: p.apps ? [...p.apps] : null,
      csrfToken: c.var.session ? csrfTokenOf(c.var.session) : null,
      session: s
        ? { expiresAt: s.expiresAt, idleTimeoutSeconds: Math.round(o.sessions.idleMs / 1000), via: s.via }
        : null,
    };
  };

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/auth/login',
      security: [],
      tags,
      summary: 'Sign in with a user name and password: sets the session cookie (HttpOnly, SameSite=Strict)',
      request: {
        body: {
          content: {
            'application/json': {
              schema: z.object({ username: z.string().max(63), password: z.string().max(1024) }).meta({ id: 'Login' }),
            },
          },
          required: true,
        },
      },
      responses: { 200: json(meSchema, 'Signed in (the body carries the CSRF token)'), ...ERRORS },
    }),
    async (c) => {
      const addr = o.clientAddress(c);
      const wait = o.limiter.blockedFor(addr);
      if (wait > 0) {
        c.header('Retry-After', String(Math.ceil(wait / 1000)));
        return apiError(
          c,
          new InfraktError('RATE_LIMITED', 'too many failed sign-in attempts from this address'),
        ) as never;
      }
      const { username, password } = c.req.valid('json');
      const base = { ...c.var.ctx, source: addr };
      const user = await checkPassword(base, username, password);
      if (!user) {
        o.limiter.fail(addr);
        await recordAudit(base, {
          action: 'auth.login',
          target: username.slice(0, 63) || '-',
          result: 'UNAUTHORIZED',
          actor: { kind: 'anonymous', name: username.slice(0, 63) || 'anonymous' },
        });
        return apiError(c, new InfraktError('UNAUTHORIZED', 'wrong user name or password')) as never;
      }
      const s = await createSession(base, user, { via: 'password', source: addr, policy: o.sessions });
      await recordAudit(base, { action: 'auth.login', target: user.name, actor: { kind: 'user', name: user.name } });
      setSession(c, s.token, s.expiresAt);
      return c.json(
        {
          kind: 'user' as const,
          name: user.name,
          level: (['read', 'deploy', 'admin'] as const)[ROLES.indexOf(user.role)]!,
          role: user.role,
          servers: user.servers_json ? (JSON.parse(user.servers_json) as string[]) : null,
          apps: null,
          csrfToken: csrfTokenOf(s.token),
          session: {
            expiresAt: s.expiresAt,
            idleTimeoutSeconds: Math.round(o.sessions.idleMs / 1000),
            via: 'password',
          },
        },
        200,
      );
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/auth/me',
      tags,
      summary: 'Who is calling: kind, level, scope; with a session, its CSRF token and expiry',
      security,
      responses: { 200: json(meSchema, 'Me'), ...ERRORS },
    }),
    async (c) => c.json(await me(c), 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/auth/logout',
      tags,
      summary: 'End this session (clears the cookie)',
      security,
      responses: { 200: json(ok, 'Signed out'), ...ERRORS },
    }),
    async (c) => {
      if (c.var.session) await endSession(c.var.ctx, c.var.session);
      c.header('Set-Cookie', clearCookie(SESSION_COOKIE, o.isSecure(c)));
      return c.json({ ok: true as const }, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/auth/logout-all',
      tags,
      summary: 'End every session of the signed-in user, on every browser',
      security,
      responses: { 200: json(ok, 'Signed out everywhere'), ...ERRORS },
    }),
    async (c) => {
      if (!c.var.session) throw new InfraktError('VALIDATION', 'only a dashboard session can sign out everywhere');
      const n = await endAllSessions(c.var.ctx, c.var.session);
      c.header('Set-Cookie', clearCookie(SESSION_COOKIE, o.isSecure(c)));
      return c.json({ ok: true as const, sessionsEnded: n }, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'put',
      path: '/api/auth/password',
      tags,
      summary: 'Change your own password (needs the current one); every session of yours ends',
      security,
      request: {
        body: {
          content: {
            'application/json': {
              schema: z
                .object({ current: z.string().max(1024), password: passwordSchema })
                .meta({ id: 'PasswordChange' }),
            },
          },
          required: true,
        },
      },
      responses: { 200: json(ok, 'Changed'), ...ERRORS },
    }),
    async (c) => {
      const p = c.var.principal;
      if (p.kind !== 'user') throw new InfraktError('VALIDATION', 'only users have passwords');
      const { current, password } = c.req.valid('json');
      if (!(await checkPassword(c.var.ctx, p.name, current))) {
        o.limiter.fail(c.var.clientAddress);
        throw new InfraktError('FORBIDDEN', 'the current password is wrong');
      }
      const r = await setPassword(c.var.ctx, p.name, password);
      c.header('Set-Cookie', clearCookie(SESSION_COOKIE, o.isSecure(c)));
      return c.json({ ok: true as const, sessionsEnded: r.sessionsEnded }, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/auth/providers',
      security: [],
      tags,
      summary: 'Sign-in options for the login page (names and labels only)',
      responses: { 200: json(authProvidersSchema, 'Options') },
    }),
    async (c) => c.json({ password: true, providers: await publicProviders(c.var.ctx) }, 200),
  );

  const provider = z.object({ provider: nameSchema });
  const redirectUri = (c: Context, name: string) => {
    const u = new URL(c.req.url);
    const proto = o.isSecure(c) ? 'https:' : u.protocol;
    return `${proto}//${c.req.header('Host') ?? u.host}${OIDC_PATH}/${name}/callback`;
  };

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/auth/oidc/{provider}/start',
      security: [],
      tags,
      summary: 'Start signing in with an identity provider: 302 to it (state, nonce, PKCE)',
      request: { params: provider },
      responses: {
        302: { description: 'To the identity provider (to the dashboard with ?login_error= when it cannot start)' },
        ...ERRORS,
      },
    }),
    async (c) => {
      const name = c.req.valid('param').provider;
      const ctx = c.var.ctx;
      let flow: Awaited<ReturnType<typeof startSignIn>>;
      try {
        flow = await startSignIn(ctx, name, redirectUri(c, name));
      } catch (e) {
        // A browser followed a link: answer with the login page and the reason, not a JSON error.
        if (!isInfraktError(e)) throw e;
        return c.redirect(`/?login_error=${encodeURIComponent(e.message)}`, 302) as never;
      }
      // Lax, not Strict: the provider's redirect back is a cross-site navigation that must bring it.
      c.header(
        'Set-Cookie',
        cookieHeader(OIDC_COOKIE, flow.browserSecret, {
          secure: o.isSecure(c),
          maxAgeSeconds: 600,
          sameSite: 'Lax',
          path: OIDC_PATH,
        }),
      );
      return c.redirect(flow.location, 302) as never;
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/auth/oidc/{provider}/callback',
      security: [],
      tags,
      summary: 'The identity provider sends the browser back here; on success the session cookie is set and / opens',
      request: {
        params: provider,
        query: z.object({
          code: z.string().max(4096).optional(),
          state: z.string().max(512).optional(),
          error: z.string().max(512).optional(),
        }),
      },
      responses: { 302: { description: 'To the dashboard: /?signed_in=1, or /?login_error= when refused' } },
    }),
    async (c) => {
      const name = c.req.valid('param').provider;
      const q = c.req.valid('query');
      const addr = o.clientAddress(c);
      const ctx = c.var.ctx;
      c.header('Set-Cookie', clearCookie(OIDC_COOKIE, o.isSecure(c), OIDC_PATH), { append: true });
      try {
        const { user, via } = await finishSignIn(ctx, name, {
          ...q,
          browserSecret: readCookie(c, OIDC_COOKIE),
          redirectUri: redirectUri(c, name),
        });
        const s = await createSession(ctx, user, { via, source: addr, policy: o.sessions });
        await recordAudit(ctx, {
          action: 'auth.login',
          target: user.name,
          params: { via },
          actor: { kind: 'user', name: user.name },
        });
        setSession(c, s.token, s.expiresAt);
        // The marker tells the login page to pick up the new session (it does not probe on every visit: an
        // unauthenticated probe counts as a failed attempt against the address).
        return c.redirect('/?signed_in=1', 302) as never;
      } catch (e) {
        const err = isInfraktError(e) ? e : new InfraktError('INTERNAL', 'sign-in failed');
        o.limiter.fail(addr);
        await recordAudit(ctx, {
          action: 'auth.login',
          target: name,
          params: { via: name },
          result: err.code,
          actor: { kind: 'anonymous', name: 'anonymous' },
        }).catch(() => undefined);
        const message = err.code === 'INTERNAL' ? 'sign-in failed' : err.message;
        return c.redirect(`/?login_error=${encodeURIComponent(message)}`, 302) as never;
      }
    },
  );
}
