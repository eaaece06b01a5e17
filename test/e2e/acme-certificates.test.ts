// Automatic HTTPS for real, on loopback: a local ACME CA (Debian's pebble) set with `server set --acme-ca
// --acme-ca-root --acme-email` issues the certificate Caddy serves for an app's domain; the app answers over
// HTTPS with a chain that verifies against pebble's root, HTTP redirects to HTTPS, and `proxy status` shows the
// issuer and expiry of the certificate served. Bad ACME settings are refused and change nothing.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPebble, type TestPebble } from '../harness/pebble.js';
import { waitFor } from '../harness/sshd.js';
import { type DeployEnv, deployEnv, rand } from './deploy-harness.js';

/** GET over TLS to Caddy on loopback with SNI, verifying the chain against `ca`. */
function getTls(port: number, host: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: '127.0.0.1', port, path: '/', servername: host, headers: { host }, ca, agent: false, timeout: 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe('ACME certificates from a local CA (pebble, Caddy, built CLI)', () => {
  let env: DeployEnv;
  let pebble: TestPebble;
  const app = `ikt-test-${rand()}`;
  const domain = `${app}.test`;

  beforeAll(async () => {
    pebble = await startPebble();
    env = await deployEnv();
  });

  afterAll(async () => {
    await env?.close();
    await pebble?.stop();
  });

  it('refuses bad ACME settings and changes nothing', async () => {
    const before = (await env.ok(['server', 'show', env.server, '--json'])).stdout;
    for (const args of [
      ['--acme-email', 'not-an-email'],
      ['--acme-ca', 'http://127.0.0.1/dir'],
      ['--acme-ca-root', pebble.tls.certPath],
      ['--acme-ca', pebble.directory, '--acme-ca-root', '/nonexistent.pem'],
    ]) {
      const r = await env.cli(['server', 'set', env.server, ...args]);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).not.toBe(0);
      expect(r.stderr).toMatch(/acme/i);
    }
    expect((await env.ok(['server', 'show', env.server, '--json'])).stdout).toBe(before);
  });

  it('issues the served certificate; HTTPS verifies against the CA, HTTP redirects, proxy status shows it', async () => {
    await env.ok([
      'server',
      'set',
      env.server,
      '--proxy-tls',
      'auto',
      '--acme-email',
      'ops@example.com',
      '--acme-ca',
      pebble.directory,
      '--acme-ca-root',
      pebble.tls.certPath,
    ]);
    await env.ok([
      'app',
      'create',
      '--server',
      env.server,
      '--name',
      app,
      '--image',
      'infrakt-test/web:1',
      '--port',
      '3000',
      '--domain',
      domain,
      '--health-path',
      '/health',
    ]);
    await env.ok(['app', 'deploy', app]);
    const root = await pebble.issuingRoot();
    let last = '';
    await waitFor(
      'Caddy to serve the certificate from pebble',
      async () => {
        try {
          const r = await getTls(env.httpsPort, domain, root);
          last = `${r.status} ${r.body.slice(0, 80)}`;
          return r.body.includes('version=v1');
        } catch (e) {
          last = (e as Error).message;
          return false;
        }
      },
      90_000,
    ).catch((e) => {
      throw new Error(`${(e as Error).message}; last: ${last}`);
    });

    const status = JSON.parse((await env.ok(['proxy', 'status', env.server, '--json'])).stdout);
    expect(status.certificates).toHaveLength(1);
    const cert = status.certificates[0];
    expect(cert).toMatchObject({ domain, error: null });
    expect(cert.issuer).toMatch(/Pebble Intermediate CA/);
    expect(cert.daysLeft).toBeGreaterThan(0);
    const table = (await env.ok(['proxy', 'status', env.server])).stdout;
    expect(table).toContain(domain);
    expect(table).toMatch(/Pebble Intermediate CA/);

    // Plain HTTP answers with a redirect to HTTPS.
    const http = await new Promise<{ status: number; location: string }>((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port: env.httpPort, path: '/', headers: { host: domain }, agent: false },
        (res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, location: String(res.headers.location ?? '') });
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(http.status).toBe(308);
    // Caddy 2.6's automatic redirect names the host only (production serves HTTPS on 443).
    expect(http.location).toMatch(new RegExp(`^https://${domain.replace(/\./g, '\\.')}(:${env.httpsPort})?/$`));
    await env.ok(['app', 'destroy', app, '--force']);
  }, 240_000);
});
