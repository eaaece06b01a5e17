import { createHash, randomBytes } from 'node:crypto';
import type { UserRow } from '../../adapters/store/schema.js';
import { InfraktError } from '../../core/errors.js';
import type { Ctx } from '../shared/context.js';
import { checkIdClaims, verifyJws } from './jwt.js';
import { discover, fetchJson, signingKeys } from './oidc-http.js';
import { loadProvider, type ProviderConfig } from './providers.js';
import { userForEmail } from './user-mapping.js';

/**
 * Sign-in through an identity provider: the authorization code flow with PKCE (S256), a random `state` bound to this
 * browser by a cookie and good for one use within 10 minutes, and (OpenID Connect) a `nonce` in the signed ID token.
 * GitHub has no ID token: its OAuth endpoints give a token for the user's verified emails instead.
 */
const FLOW_TTL_MS = 10 * 60_000;

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const random = () => randomBytes(32).toString('base64url');
const challengeOf = (verifier: string) => createHash('sha256').update(verifier).digest('base64url');

export interface FlowStart {
  /** Where to send the browser. */
  location: string;
  /** Goes into the browser's flow cookie: the callback must come back to the browser that started. */
  browserSecret: string;
}

export async function startSignIn(ctx: Ctx, providerName: string, redirectUri: string): Promise<FlowStart> {
  const cfg = await loadProvider(ctx, providerName);
  const state = random();
  const nonce = random();
  const verifier = random();
  const browserSecret = random();
  const now = ctx.clock.now();
  await ctx.store.db.deleteFrom('auth_flows').where('expires_at', '<=', now.toISOString()).execute();
  await ctx.store.db
    .insertInto('auth_flows')
    .values({
      state_hash: sha256(state),
      provider: providerName,
      browser_hash: sha256(browserSecret),
      secrets_enc: ctx.cipher.encrypt(0, `oidc-flow/${sha256(state)}`, JSON.stringify({ nonce, verifier })),
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + FLOW_TTL_MS).toISOString(),
    })
    .execute();
  const authorize =
    cfg.kind === 'github'
      ? `${cfg.issuer.replace(/\/$/, '')}/login/oauth/authorize`
      : (await discover(cfg.issuer)).authorization_endpoint;
  const url = new URL(authorize);
  const q = url.searchParams;
  q.set('response_type', 'code');
  q.set('client_id', cfg.clientId);
  q.set('redirect_uri', redirectUri);
  q.set('scope', cfg.kind === 'github' ? 'read:user user:email' : 'openid email profile');
  q.set('state', state);
  q.set('code_challenge', challengeOf(verifier));
  q.set('code_challenge_method', 'S256');
  if (cfg.kind === 'oidc') q.set('nonce', nonce);
  return { location: url.toString(), browserSecret };
}

const refused = (why: string, hint = 'start the sign-in again from the login page') =>
  new InfraktError('UNAUTHORIZED', `sign-in refused: ${why}`, { hint });

/**
 * The provider sent the browser back: the state must be one we issued, to this browser, unused and fresh; the code
 * is exchanged (with the PKCE verifier); the identity must carry a verified email that maps to a user.
 */
export async function finishSignIn(
  ctx: Ctx,
  providerName: string,
  o: { code?: string; state?: string; error?: string; browserSecret?: string; redirectUri: string },
): Promise<{ user: UserRow; via: string }> {
  if (!o.state) throw refused('no state');
  const flow = await ctx.store.db
    .selectFrom('auth_flows')
    .selectAll()
    .where('state_hash', '=', sha256(o.state))
    .executeTakeFirst();
  if (!flow || flow.provider !== providerName) throw refused('unknown or already used state');
  // Single use, whatever happens next: of two callbacks racing with one state, only the one whose delete took the
  // row goes on.
  const taken = await ctx.store.db
    .deleteFrom('auth_flows')
    .where('state_hash', '=', flow.state_hash)
    .executeTakeFirst();
  if (Number(taken.numDeletedRows) !== 1) throw refused('unknown or already used state');
  if (Date.parse(flow.expires_at) <= ctx.clock.now().getTime()) throw refused('the sign-in took too long');
  if (!o.browserSecret || sha256(o.browserSecret) !== flow.browser_hash) throw refused('state from another browser');
  if (o.error) throw refused(`the provider said ${o.error.slice(0, 100)}`);
  if (!o.code) throw refused('no authorization code');
  const { nonce, verifier } = JSON.parse(ctx.cipher.decrypt(0, `oidc-flow/${flow.state_hash}`, flow.secrets_enc)) as {
    nonce: string;
    verifier: string;
  };
  const cfg = await loadProvider(ctx, providerName);
  const identity =
    cfg.kind === 'github'
      ? await githubIdentity(cfg, o.code, verifier, o.redirectUri)
      : await oidcIdentity(ctx, cfg, o.code, verifier, nonce, o.redirectUri);
  const user = await userForEmail(ctx, identity.email, cfg.allow, identity.login);
  return { user, via: `${cfg.kind}:${providerName}` };
}

async function oidcIdentity(
  ctx: Ctx,
  cfg: ProviderConfig,
  code: string,
  verifier: string,
  nonce: string,
  redirectUri: string,
): Promise<{ email: string; login: string | null }> {
  const d = await discover(cfg.issuer);
  const form = new URLSearchParams({
    grant_type: 'authorization_code',
    code,
    redirect_uri: redirectUri,
    code_verifier: verifier,
  });
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded',
    Accept: 'application/json',
  };
  const methods = d.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
  if (methods.includes('client_secret_basic')) {
    const enc = (s: string) => encodeURIComponent(s);
    headers.Authorization = `Basic ${Buffer.from(`${enc(cfg.clientId)}:${enc(cfg.clientSecret)}`).toString('base64')}`;
  } else {
    form.set('client_id', cfg.clientId);
    form.set('client_secret', cfg.clientSecret);
  }
  const tokens = (await fetchJson(d.token_endpoint, {
    method: 'POST',
    headers,
    body: form,
    what: 'code exchange',
  })) as {
    id_token?: unknown;
    access_token?: unknown;
  };
  if (typeof tokens.id_token !== 'string') throw refused('the provider returned no ID token');
  const header = JSON.parse(Buffer.from(tokens.id_token.split('.')[0] ?? '', 'base64url').toString('utf8') || '{}') as {
    kid?: unknown;
  };
  const claims = verifyJws(tokens.id_token, await signingKeys(d, header.kid));
  checkIdClaims(claims, { issuer: cfg.issuer, clientId: cfg.clientId, nonce, nowMs: ctx.clock.now().getTime() });
  let email = claims.email;
  let verified = claims.email_verified;
  if (
    (typeof email !== 'string' || verified !== true) &&
    d.userinfo_endpoint &&
    typeof tokens.access_token === 'string'
  ) {
    const info = (await fetchJson(d.userinfo_endpoint, {
      headers: { Authorization: `Bearer ${tokens.access_token}`, Accept: 'application/json' },
      what: 'userinfo',
    })) as Record<string, unknown>;
    if (info.sub === claims.sub) {
      email = info.email;
      verified = info.email_verified;
    }
  }
  if (typeof email !== 'string' || verified !== true) {
    throw refused('the provider vouches for no verified email', 'verify your email with the provider first');
  }
  const login = typeof claims.preferred_username === 'string' ? claims.preferred_username : null;
  return { email, login };
}

/** GitHub's OAuth endpoints: the code for a token (with the PKCE verifier), then the user's verified emails. */
async function githubIdentity(
  cfg: ProviderConfig,
  code: string,
  verifier: string,
  redirectUri: string,
): Promise<{ email: string; login: string | null }> {
  const base = cfg.issuer.replace(/\/$/, '');
  const api = (cfg.apiUrl ?? 'https://api.github.com').replace(/\/$/, '');
  const form = new URLSearchParams({
    client_id: cfg.clientId,
    client_secret: cfg.clientSecret,
    code,
    redirect_uri: redirectUri,
    code_verifier: verifier,
  });
  const tokens = (await fetchJson(`${base}/login/oauth/access_token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: form,
    what: 'code exchange',
  })) as { access_token?: unknown; error?: unknown };
  if (typeof tokens.access_token !== 'string')
    throw refused(`GitHub returned no token (${String(tokens.error ?? 'no error')})`);
  const headers = { Authorization: `Bearer ${tokens.access_token}`, Accept: 'application/vnd.github+json' };
  const user = (await fetchJson(`${api}/user`, { headers, what: 'user' })) as { login?: unknown };
  const emails = (await fetchJson(`${api}/user/emails`, { headers, what: 'emails' })) as unknown[];
  const verified = (Array.isArray(emails) ? emails : []).filter(
    (e): e is { email: string; primary?: boolean; verified: boolean } =>
      !!e &&
      typeof e === 'object' &&
      typeof (e as { email?: unknown }).email === 'string' &&
      (e as { verified?: unknown }).verified === true,
  );
  const pick = verified.find((e) => e.primary) ?? verified[0];
  if (!pick) throw refused('your GitHub account has no verified email', 'verify an email on GitHub first');
  return { email: pick.email, login: typeof user.login === 'string' ? user.login : null };
}
