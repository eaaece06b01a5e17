import { describe, expect, it } from 'vitest';
import { caddyfileInSync, renderCaddyfile, withoutDrainingUpstreams } from '../../../src/core/caddy/render.js';
import { proxySettingsSchema } from '../../../src/core/schemas/server.js';

const prod = proxySettingsSchema.parse({});

describe('renderCaddyfile', () => {
  it('a config that differs from the render only by draining upstreams is in sync with it (auth routes too)', () => {
    const routes = [
      { domain: 'a.example.com', upstreamPort: 49160 },
      {
        domain: 'b.example.com',
        upstreamPort: 49154,
        auth: { type: 'forward' as const, url: 'https://auth.example.com/outpost/' },
      },
    ];
    const want = renderCaddyfile({ proxy: prod, routes });
    const draining = renderCaddyfile({
      proxy: prod,
      routes: routes.map((r) => ({ ...r, drainingPorts: [40001, 40002] })),
    });
    expect(draining).not.toBe(want);
    expect(withoutDrainingUpstreams(draining)).toBe(want);
    expect(caddyfileInSync(draining, want)).toBe(true);
    expect(caddyfileInSync(want, want)).toBe(true);
    // Anything else that differs is drift.
    expect(caddyfileInSync(draining.replace('49160', '49161'), want)).toBe(false);
    expect(caddyfileInSync(want.replace('lb_try_duration 5s', 'lb_try_duration 1s'), want)).toBe(false);
  });

  it("keeps a draining release's upstream behind the new one, never chosen (lb_policy first)", () => {
    const text = renderCaddyfile({
      proxy: prod,
      routes: [
        { domain: 'a.example.com', upstreamPort: 49160, drainingPorts: [49153, 49160, 49153] },
        { domain: 'b.example.com', upstreamPort: 49154 },
      ],
    });
    expect(text).toContain(
      [
        'a.example.com {',
        '\treverse_proxy 127.0.0.1:49160 127.0.0.1:49153 {',
        '\t\tlb_policy first',
        '\t\tlb_try_duration 5s',
        '\t\tlb_try_interval 100ms',
        '\t}',
        '}',
      ].join('\n'),
    );
    // Another app's route is as it always was; a draining port equal to the upstream is no second upstream.
    expect(text).toContain('b.example.com {\n\treverse_proxy 127.0.0.1:49154 {\n\t\tlb_try_duration 5s');
    const same = renderCaddyfile({
      proxy: prod,
      routes: [{ domain: 'a.example.com', upstreamPort: 49160, drainingPorts: [49160] }],
    });
    expect(same).toContain('\treverse_proxy 127.0.0.1:49160 {\n\t\tlb_try_duration 5s');
    expect(same).not.toContain('lb_policy');
    expect(() =>
      renderCaddyfile({ proxy: prod, routes: [{ domain: 'a.example.com', upstreamPort: 1, drainingPorts: [70000] }] }),
    ).toThrow(/invalid draining port/);
  });

  it('renders production defaults: automatic TLS, sorted sites, retrying reverse proxies', () => {
    const text = renderCaddyfile({
      proxy: prod,
      routes: [
        { domain: 'b.example.com', upstreamPort: 49154 },
        { domain: 'a.example.com', upstreamPort: 49153 },
      ],
    });
    expect(text).toBe(
      [
        '# Managed by infrakt: rendered from its state on every change. Edits here are overwritten.',
        '{',
        '\tadmin localhost:2019',
        '\tgrace_period 10s',
        '}',
        '',
        'a.example.com {',
        '\treverse_proxy 127.0.0.1:49153 {',
        '\t\tlb_try_duration 5s',
        '\t\tlb_try_interval 100ms',
        '\t}',
        '}',
        '',
        'b.example.com {',
        '\treverse_proxy 127.0.0.1:49154 {',
        '\t\tlb_try_duration 5s',
        '\t\tlb_try_interval 100ms',
        '\t}',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('tls internal: moved ports, local CA without trust install, storage dir', () => {
    const text = renderCaddyfile({
      proxy: proxySettingsSchema.parse({
        tls: 'internal',
        httpPort: 8880,
        httpsPort: 8443,
        adminAddress: '127.0.0.1:2999',
      }),
      routes: [{ domain: 'app.test', upstreamPort: 3000 }],
      storageDir: '/srv/ikt/caddy/data',
    });
    expect(text).toContain(
      '\tadmin 127.0.0.1:2999\n\thttp_port 8880\n\thttps_port 8443\n\tstorage file_system /srv/ikt/caddy/data\n\tskip_install_trust\n',
    );
    expect(text).toContain('app.test {\n\ttls internal\n\treverse_proxy 127.0.0.1:3000 {');
  });

  it('tls off: plain http:// sites and auto_https off', () => {
    const text = renderCaddyfile({
      proxy: proxySettingsSchema.parse({ tls: 'off' }),
      routes: [{ domain: 'app.test', upstreamPort: 3000 }],
    });
    expect(text).toContain('\tauto_https off\n');
    expect(text).toContain('http://app.test {\n');
  });

  it('no routes: only the global block (a valid config)', () => {
    expect(renderCaddyfile({ proxy: prod, routes: [] })).toBe(
      '# Managed by infrakt: rendered from its state on every change. Edits here are overwritten.\n{\n\tadmin localhost:2019\n\tgrace_period 10s\n}\n',
    );
  });

  it('is deterministic: the same routes in any order give the same bytes', () => {
    const routes = [
      { domain: 'x.test.io', upstreamPort: 1 },
      { domain: 'a.test.io', upstreamPort: 2 },
    ];
    expect(renderCaddyfile({ proxy: prod, routes })).toBe(
      renderCaddyfile({ proxy: prod, routes: [...routes].reverse() }),
    );
  });

  it('refuses anything that could inject config', () => {
    const bad = ['app.test {\n}', 'a b.test', 'app.test\nimport /etc/passwd', '*.test', 'localhost'];
    for (const domain of bad)
      expect(() => renderCaddyfile({ proxy: prod, routes: [{ domain, upstreamPort: 1 }] })).toThrow();
    expect(() => renderCaddyfile({ proxy: prod, routes: [{ domain: 'a.test', upstreamPort: 0 }] })).toThrow();
    expect(() =>
      renderCaddyfile({
        proxy: prod,
        routes: [
          { domain: 'a.test', upstreamPort: 1 },
          { domain: 'a.test', upstreamPort: 2 },
        ],
      }),
    ).toThrow(/duplicate/);
    expect(() => renderCaddyfile({ proxy: prod, routes: [], storageDir: '/x y' })).toThrow();
  });
});
