// Auth in front of a route, enforced by a real Caddy running the config infrakt renders: forward_auth against a
// small local auth endpoint (401 → blocked, 200 → passes with the identity headers it set, client-sent identity
// headers dropped, Authentik's outpost paths proxied to it) and basicauth with a bcrypt hash.
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderCaddyfile } from '../../src/core/caddy/render.js';
import { type CaddyInstance, caddyAvailable, startCaddy } from '../harness/caddy.js';
import { removeDir, tempDir } from '../helpers/state.js';

const listen = (srv: Server) =>
  new Promise<number>((resolve) => srv.listen(0, '127.0.0.1', () => resolve((srv.address() as AddressInfo).port)));

function get(port: number, host: string, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host, ...headers }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(!caddyAvailable())('Caddy enforces forward_auth and basicauth from the rendered config', () => {
  let dir: string;
  let caddy: CaddyInstance;
  let auth: Server;
  let app: Server;
  let appHits = 0;
  const authSeen: IncomingHttpHeaders[] = [];
  const password = 'correct horse battery';

  beforeAll(async () => {
    dir = tempDir();
    // The auth endpoint: 200 with identity headers for the right bearer token, 401 otherwise.
    auth = createServer((req, res) => {
      authSeen.push(req.headers);
      if (req.url?.startsWith('/outpost.goauthentik.io/callback')) return res.end('outpost callback');
      if (req.headers.authorization === 'Bearer good') {
        res.writeHead(200, { 'X-Authentik-Username': 'alice', 'Remote-User': 'alice', 'X-Authentik-Groups': 'staff' });
        return res.end();
      }
      res.writeHead(401, { 'Content-Type': 'text/plain' });
      res.end('denied by the auth endpoint');
    });
    // The app: echoes the headers it received.
    app = createServer((req, res) => {
      appHits++;
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify(req.headers));
    });
    const [authPort, appPort] = [await listen(auth), await listen(app)];
    caddy = await startCaddy({ dir });
    const hash = await bcrypt.hash(password, 10);
    const full = renderCaddyfile({
      proxy: { tls: 'off', httpPort: caddy.httpPort, httpsPort: caddy.httpsPort, adminAddress: caddy.adminAddress },
      routes: [
        {
          domain: 'sso.test',
          upstreamPort: appPort,
          auth: { type: 'forward', url: `http://127.0.0.1:${authPort}/outpost.goauthentik.io/auth/caddy` },
        },
        { domain: 'basic.test', upstreamPort: appPort, auth: { type: 'basic', user: 'admin', hash } },
        { domain: 'open.test', upstreamPort: appPort },
      ],
    });
    // The harness supplies its own global options (ports, storage): keep only the rendered sites.
    const sites = full.slice(full.indexOf('\n}\n') + 3);
    const r = await caddy.reload(sites);
    expect(r.code, r.stderr).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await caddy?.stop();
    auth?.close();
    app?.close();
    if (dir) removeDir(dir);
  });

  it('forward_auth: a 401 from the endpoint blocks the request before the app', async () => {
    const before = appHits;
    const r = await get(caddy.httpPort, 'sso.test', '/private', { authorization: 'Bearer bad' });
    expect(r.status).toBe(401);
    expect(r.body).toBe('denied by the auth endpoint');
    expect(appHits).toBe(before);
    // The endpoint saw the original request's method and URI.
    expect(authSeen.at(-1)).toMatchObject({ 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/private' });
  });

  it('forward_auth: a 200 passes with the identity headers the endpoint set; spoofed ones are dropped', async () => {
    const r = await get(caddy.httpPort, 'sso.test', '/private', {
      authorization: 'Bearer good',
      'X-Authentik-Email': 'mallory@evil.test',
      'Remote-User': 'mallory',
    });
    expect(r.status).toBe(200);
    const seen = JSON.parse(r.body) as Record<string, string>;
    expect(seen['x-authentik-username']).toBe('alice');
    expect(seen['x-authentik-groups']).toBe('staff');
    expect(seen['remote-user']).toBe('alice');
    expect(seen['x-authentik-email']).toBeUndefined();
  });

  it("forward_auth: Authentik's outpost paths on the app's domain reach the outpost", async () => {
    const r = await get(caddy.httpPort, 'sso.test', '/outpost.goauthentik.io/callback?x=1');
    expect(r).toEqual({ status: 200, body: 'outpost callback' });
  });

  it('basicauth: no or wrong credentials get 401, the right ones pass', async () => {
    const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
    expect((await get(caddy.httpPort, 'basic.test', '/')).status).toBe(401);
    expect((await get(caddy.httpPort, 'basic.test', '/', basic('admin', 'wrong'))).status).toBe(401);
    expect((await get(caddy.httpPort, 'basic.test', '/', basic('root', password))).status).toBe(401);
    expect((await get(caddy.httpPort, 'basic.test', '/', basic('admin', password))).status).toBe(200);
    expect((await get(caddy.httpPort, 'open.test', '/')).status).toBe(200);
  });
});
