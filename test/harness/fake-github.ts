// GitHub's OAuth web flow and the two REST calls infrakt makes, on loopback, from GitHub's documented shapes
// (docs.github.com: "Authorizing OAuth apps", "Get the authenticated user", "List email addresses for the
// authenticated user"). GitHub is a hosted service; this stands in for it the way a cloud API is faked. It checks
// what GitHub checks: the client secret, the redirect URI, a code used once, and the PKCE verifier.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GithubUser {
  login: string;
  emails: { email: string; primary: boolean; verified: boolean }[];
}

export interface FakeGithub {
  readonly url: string;
  readonly apiUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Who is signed in at "GitHub" when the browser arrives at the authorize page. */
  signedIn: GithubUser | null;
  close(): Promise<void>;
}

export async function startFakeGithub(): Promise<FakeGithub> {
  const codes = new Map<string, { user: GithubUser; challenge: string; redirectUri: string }>();
  const tokens = new Map<string, GithubUser>();
  const clientId = 'Iv1.fake0123456789';
  const clientSecret = randomBytes(20).toString('hex');
  const state: { signedIn: GithubUser | null } = { signedIn: null };
  const json = (res: import('node:http').ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
        const q = url.searchParams;
        if (q.get('client_id') !== clientId || !state.signedIn) return json(res, 400, { error: 'unknown client' });
        if (q.get('code_challenge_method') !== 'S256') return json(res, 400, { error: 'S256 only' });
        const code = randomBytes(10).toString('hex');
        const redirectUri = q.get('redirect_uri') ?? '';
        codes.set(code, { user: state.signedIn, challenge: q.get('code_challenge') ?? '', redirectUri });
        const back = new URL(redirectUri);
        back.searchParams.set('code', code);
        back.searchParams.set('state', q.get('state') ?? '');
        res.writeHead(302, { Location: back.toString() });
        return res.end();
      }
      if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
        const f = new URLSearchParams(body);
        const grant = codes.get(f.get('code') ?? '');
        codes.delete(f.get('code') ?? '');
        // GitHub answers 200 with an error field.
        if (f.get('client_id') !== clientId || f.get('client_secret') !== clientSecret)
          return json(res, 200, { error: 'incorrect_client_credentials' });
        if (!grant || grant.redirectUri !== f.get('redirect_uri'))
          return json(res, 200, { error: 'bad_verification_code' });
        const challenge = createHash('sha256')
          .update(f.get('code_verifier') ?? '')
          .digest('base64url');
        if (challenge !== grant.challenge) return json(res, 200, { error: 'bad_verification_code' });
        const token = `gho_${randomBytes(16).toString('hex')}`;
        tokens.set(token, grant.user);
        return json(res, 200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
      }
      const user = tokens.get((req.headers.authorization ?? '').replace(/^Bearer /, ''));
      if (url.pathname.startsWith('/api/v3/') && !user) return json(res, 401, { message: 'Bad credentials' });
      if (req.method === 'GET' && url.pathname === '/api/v3/user') return json(res, 200, { login: user?.login, id: 1 });
      if (req.method === 'GET' && url.pathname === '/api/v3/user/emails')
        return json(
          res,
          200,
          user?.emails.map((e) => ({ ...e, visibility: e.primary ? 'public' : null })),
        );
      return json(res, 404, { message: 'Not Found' });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    apiUrl: `${url}/api/v3`,
    clientId,
    clientSecret,
    get signedIn() {
      return state.signedIn;
    },
    set signedIn(u) {
      state.signedIn = u;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
