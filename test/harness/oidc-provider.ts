// A real OpenID Connect provider on loopback: the `oidc-provider` package (the certified Node implementation) with
// its development login/consent pages, one confidential client and a few accounts. `rogueKeys` makes its JWKS
// endpoint publish a different key under the signing key's kid: the tokens it issues then carry a signature that
// the published key set does not vouch for ("an ID token signed by another key").
import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

export interface OidcAccount {
  email: string;
  email_verified: boolean;
}

export interface OidcProviderHandle {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  close(): Promise<void>;
}

const KID = 'test-signing-key';

function rsaJwk(): { priv: JsonWebKey; pub: JsonWebKey } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const tag = { kid: KID, alg: 'RS256', use: 'sig' };
  return {
    priv: { ...privateKey.export({ format: 'jwk' }), ...tag },
    pub: { ...publicKey.export({ format: 'jwk' }), ...tag },
  };
}

export async function startOidcProvider(o: {
  redirectUris: string[];
  accounts: Record<string, OidcAccount>;
  rogueKeys?: boolean;
}): Promise<OidcProviderHandle> {
  let handler: ((req: IncomingMessage, res: ServerResponse) => void) | null = null;
  const rogue = o.rogueKeys ? rsaJwk().pub : null;
  const server: Server = createServer((req, res) => {
    if (rogue && req.url === '/jwks') {
      res.writeHead(200, { 'Content-Type': 'application/jwk-set+json' });
      res.end(JSON.stringify({ keys: [rogue] }));
      return;
    }
    if (!handler) {
      res.writeHead(503).end();
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'infrakt-test';
  const clientSecret = `secret-${Math.random().toString(36).slice(2)}-${Date.now()}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: o.redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [rsaJwk().priv] },
    cookies: { keys: [`cookie-key-${Math.random()}`] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['preferred_username'] },
    pkce: { required: () => true },
    // Explicit lifetimes (the defaults print a notice per artifact).
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    findAccount: async (_ctx: unknown, id: string) => {
      const account = o.accounts[id];
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, preferred_username: id, ...account }) };
    },
  });
  handler = provider.callback();
  return {
    issuer,
    clientId,
    clientSecret,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
