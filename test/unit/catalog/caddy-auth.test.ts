import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { authLines, forwardTarget } from '../../../src/core/caddy/auth.js';
import { renderCaddyfile } from '../../../src/core/caddy/render.js';
import { parseAuthSpec } from '../../../src/services/apps/app-auth.js';
import { routeAuthOf } from '../../../src/services/apps/app-auth-settings.js';

const proxy = { tls: 'off' as const, httpPort: 8080, httpsPort: 8443, adminAddress: 'localhost:2019' };
const HASH = bcrypt.hashSync('correct horse', 4);

describe('auth in front of a route', () => {
  it('forward_auth: strips client identity headers, authenticates, copies headers, then proxies (in order)', () => {
    const text = renderCaddyfile({
      proxy,
      routes: [
        {
          domain: 'app.example.com',
          upstreamPort: 20001,
          auth: { type: 'forward', url: 'http://127.0.0.1:9000/outpost.goauthentik.io/auth/caddy' },
        },
      ],
    });
    const site = text.slice(text.indexOf('http://app.example.com {'));
    const order = [
      'route {',
      'request_header -X-Authentik-Username',
      'reverse_proxy /outpost.goauthentik.io/* http://127.0.0.1:9000',
      'forward_auth http://127.0.0.1:9000 {',
      'uri /outpost.goauthentik.io/auth/caddy',
      'copy_headers X-Authentik-Username',
      'reverse_proxy 127.0.0.1:20001 {',
    ];
    let at = 0;
    for (const part of order) {
      const i = site.indexOf(part, at);
      expect(i, part).toBeGreaterThan(-1);
      at = i;
    }
  });

  it('a generic endpoint: no Authentik outpost path, scheme and port made explicit', () => {
    expect(forwardTarget('https://auth.example.com/verify?rd=1')).toEqual({
      upstream: 'https://auth.example.com:443',
      uri: '/verify?rd=1',
    });
    const lines = authLines({ type: 'forward', url: 'http://127.0.0.1:4180/oauth2/auth' }).join('\n');
    expect(lines).not.toContain('outpost');
    expect(lines).toContain('forward_auth http://127.0.0.1:4180 {');
  });

  it('basicauth with the bcrypt hash base64-encoded (accepted by every Caddy 2 release)', () => {
    const lines = authLines({ type: 'basic', user: 'admin', hash: HASH });
    expect(lines).toEqual(['\tbasicauth {', `\t\tadmin ${Buffer.from(HASH).toString('base64')}`, '\t}']);
    expect(() => authLines({ type: 'basic', user: 'ad min', hash: HASH })).toThrow();
    expect(() => authLines({ type: 'basic', user: 'admin', hash: 'plain' })).toThrow();
  });

  it('values that could break the Caddyfile are refused', () => {
    for (const url of ['ftp://x/y', 'http://u:p@x/y', 'not a url', 'http://x/#f'])
      expect(() => forwardTarget(url), url).toThrow();
    // Braces and spaces reach Caddy percent-encoded: they cannot open a block.
    expect(forwardTarget('http://x/{a} b').uri).toBe('/%7Ba%7D%20b');
    expect(() => parseAuthSpec('forward:ftp://x/a')).toThrow(/invalid --auth forward URL/);
    expect(() => parseAuthSpec('basic:bad user')).toThrow(/basic user/);
    expect(() => parseAuthSpec('oauth:x')).toThrow(/invalid --auth 'oauth'/);
    expect(parseAuthSpec('none')).toEqual({ type: 'none' });
  });

  it('a damaged stored setting fails closed (no route rendered without its auth)', () => {
    expect(routeAuthOf('{}')).toBeUndefined();
    expect(routeAuthOf(JSON.stringify({ auth: { type: 'basic', user: 'a', hash: HASH } }))).toEqual({
      type: 'basic',
      user: 'a',
      hash: HASH,
    });
    expect(() => routeAuthOf(JSON.stringify({ auth: { type: 'basic', user: 'a', hash: 'x' } }))).toThrow(
      /unreadable auth/,
    );
  });
});
