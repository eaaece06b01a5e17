// `app update APP --auth forward:URL|basic:USER|none`: authentication in front of an app's route, rendered
// into the server's Caddy config (forward_auth to an identity endpoint, or basicauth with a bcrypt hash).
//
// bcrypt comes from `bcryptjs` (pure JavaScript, no dependencies, no native build, ~26M downloads a month,
// types included): Node has no bcrypt, and a hand-written Blowfish key schedule is not worth the risk.
import bcrypt from 'bcryptjs';
import { BASIC_USER_RE, forwardTarget, type RouteAuth } from '../../core/caddy/auth.js';
import { InfraktError } from '../../core/errors.js';
import type { Secret } from '../../core/secret.js';
import { applyProxyConfig } from '../proxy/proxy-config.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { authView } from './app-auth-settings.js';
import { resolveApp, updateApp } from './apps.js';
import { appLock } from './releases.js';

export type AuthRequest = { type: 'forward'; url: string } | { type: 'basic'; user: string } | { type: 'none' };

/** bcrypt cost: Caddy checks the hash on each request (it caches successes), so moderate. */
export const BCRYPT_COST = 12;

/** Parses `forward:URL`, `basic:USER` or `none`. */
export function parseAuthSpec(spec: string): AuthRequest {
  if (spec === 'none') return { type: 'none' };
  const i = spec.indexOf(':');
  const kind = i > 0 ? spec.slice(0, i) : spec;
  const rest = i > 0 ? spec.slice(i + 1) : '';
  if (kind === 'forward') {
    try {
      forwardTarget(rest);
    } catch (e) {
      throw new InfraktError('VALIDATION', `invalid --auth forward URL: ${(e as Error).message}`);
    }
    return { type: 'forward', url: rest };
  }
  if (kind === 'basic') {
    if (!BASIC_USER_RE.test(rest))
      throw new InfraktError('VALIDATION', 'invalid --auth basic user: 1-64 letters, digits, ".", "_", "@" or "-"');
    return { type: 'basic', user: rest };
  }
  throw new InfraktError('VALIDATION', `invalid --auth '${kind}'`, {
    hint: 'use forward:URL (e.g. Authentik’s outpost), basic:USER (password prompted) or none',
  });
}

/** The auth an app has now (basic auth: the user, never the hash). */
export async function getAppAuth(ctx: Ctx, name: string, server?: string | undefined) {
  const { app } = await resolveApp(ctx, name, server);
  return authView(app.name, app.settings_json);
}

export interface AppAuthResult {
  app: string;
  auth: 'forward' | 'basic' | 'none';
  /** False when the app has no route yet: the next deploy renders it. */
  applied: boolean;
}

const describe = (a: RouteAuth | undefined) =>
  a ? (a.type === 'basic' ? `basic (${a.user})` : `forward → ${a.url}`) : 'none';

/**
 * Stores the auth setting and, when the app has a route, re-renders and reloads the server's Caddy config as a
 * job. A config that fails to load puts the previous setting back (Caddy keeps serving the old config).
 */
export async function prepareAppAuth(
  ctx: Ctx,
  name: string,
  req: AuthRequest,
  opts: { server?: string | undefined; password?: Secret | undefined } = {},
): Promise<{ plan: JobPlan<AppAuthResult> | null; store: () => Promise<AppAuthResult> }> {
  const { app, server } = await resolveApp(ctx, name, opts.server);
  let auth: RouteAuth | undefined;
  if (req.type === 'basic') {
    const pw = opts.password?.reveal() ?? '';
    if (pw.length < 8) throw new InfraktError('VALIDATION', 'the basic auth password must be at least 8 characters');
    if (pw.length > 72)
      throw new InfraktError('VALIDATION', 'the basic auth password must be at most 72 bytes (bcrypt)');
    auth = { type: 'basic', user: req.user, hash: await bcrypt.hash(pw, BCRYPT_COST) };
  } else if (req.type === 'forward') auth = { type: 'forward', url: req.url };
  const previous = app.settings_json;
  const next = JSON.stringify({ ...(JSON.parse(app.settings_json || '{}') as object), auth });
  const save = async (json: string) => updateApp(ctx, app.id, { settings_json: json });
  const route = await ctx.store.db
    .selectFrom('proxy_routes')
    .select('id')
    .where('app_id', '=', app.id)
    .executeTakeFirst();
  const done = async (applied: boolean): Promise<AppAuthResult> => {
    await audit(ctx, 'app.auth', `${server.name}/${app.name}`, { auth: req.type, applied });
    return { app: app.name, auth: req.type, applied };
  };
  const store = async () => {
    await save(next);
    return done(false);
  };
  if (!route) return { plan: null, store };
  return {
    store,
    plan: {
      spec: {
        kind: 'app.auth',
        target: `${server.name}/${app.name}`,
        serverId: server.id,
        appId: app.id,
        params: { app: app.name, auth: req.type },
        locks: [appLock(app.id)],
        plannedSteps: ['connect', 'update proxy'],
      },
      body: async (job) => {
        const ex = await job.step('connect', async (s) => {
          const e = await ctx.connect(server, { signal: job.signal });
          s.detail(e.target);
          return e;
        });
        try {
          await job.step('update proxy', async (s) => {
            await save(next);
            try {
              await applyProxyConfig(ctx, ex, server, { log: (l) => s.log(l), jobId: job.id, expectChange: true });
            } catch (e) {
              await save(previous);
              throw e;
            }
            s.detail(`${app.domain}: ${describe(auth)}`);
          });
          return await done(true);
        } finally {
          await ex.close();
        }
      },
    },
  };
}
