import type { ProxySettings } from '../schemas/server.js';
import { authLines, type RouteAuth } from './auth.js';

export interface CaddyRoute {
  readonly domain: string;
  /** Port on the server's loopback the domain is proxied to (a release's published port). */
  readonly upstreamPort: number;
  /** forward_auth or basic auth in front of the app (`app update --auth`). */
  readonly auth?: RouteAuth | undefined;
  /**
   * Ports of a release being retired (a deploy's switch): kept in the upstream pool behind the new one, never
   * chosen, so that Caddy goes on counting their in-flight requests (the drain waits for none left).
   */
  readonly drainingPorts?: readonly number[] | undefined;
}

/** `www.example.com` → `example.com` (`app update --www-redirect on`): a permanent redirect, path kept. */
export interface CaddyRedirect {
  readonly from: string;
  readonly to: string;
}

/** Certificates from an ACME CA: the account e-mail, and a private CA with the root its server uses. */
export interface AcmeSettings {
  readonly email?: string | undefined;
  readonly ca?: string | undefined;
  /** Path on the server of the CA's root certificate (PEM), to trust the ACME server's TLS. */
  readonly caRootPath?: string | undefined;
}

export interface CaddyConfigInput {
  readonly proxy: ProxySettings;
  readonly routes: readonly CaddyRoute[];
  readonly redirects?: readonly CaddyRedirect[];
  readonly acme?: AcmeSettings | undefined;
  /** Certificates and Caddy's own state (kept under `<root>/caddy/data`). */
  readonly storageDir?: string;
}

const EMAIL = /^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$/;
const ACME_URL = /^https:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~/-]*)?$/;

const DOMAIN = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(?:\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/;
const STORAGE = /^\/[A-Za-z0-9._/-]*$/;

/**
 * The whole Caddyfile of a server, rendered from state (never edited in place): same input, same bytes.
 * Routes are sorted so that a reorder in the store is not a config change.
 */
export function renderCaddyfile(input: CaddyConfigInput): string {
  const { proxy } = input;
  const global = [`admin ${proxy.adminAddress}`];
  if (proxy.httpPort !== 80) global.push(`http_port ${proxy.httpPort}`);
  if (proxy.httpsPort !== 443) global.push(`https_port ${proxy.httpsPort}`);
  if (input.storageDir) {
    if (!STORAGE.test(input.storageDir)) throw new Error(`invalid storage dir: ${input.storageDir}`);
    global.push(`storage file_system ${input.storageDir}`);
  }
  if (input.acme && proxy.tls === 'auto') {
    const { email, ca, caRootPath } = input.acme;
    if (email !== undefined && !EMAIL.test(email)) throw new Error(`invalid ACME e-mail: ${email}`);
    if (ca !== undefined && !ACME_URL.test(ca)) throw new Error(`invalid ACME CA URL: ${ca}`);
    if (caRootPath !== undefined && !STORAGE.test(caRootPath)) throw new Error(`invalid ACME CA root: ${caRootPath}`);
    if (email) global.push(`email ${email}`);
    if (ca) global.push(`acme_ca ${ca}`);
    if (caRootPath) global.push(`acme_ca_root ${caRootPath}`);
  }
  // A local CA must not try to install itself into the system trust store of the server.
  if (proxy.tls === 'internal') global.push('skip_install_trust');
  if (proxy.tls === 'off') global.push('auto_https off');
  // Bounded drain on reload: in-flight requests to the previous config finish, then it is released.
  global.push('grace_period 10s');

  const seen = new Set<string>();
  const sites = [...input.routes]
    .sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0))
    .map((r) => {
      if (!DOMAIN.test(r.domain)) throw new Error(`invalid domain in proxy routes: ${r.domain}`);
      if (!Number.isInteger(r.upstreamPort) || r.upstreamPort < 1 || r.upstreamPort > 65535) {
        throw new Error(`invalid upstream port for ${r.domain}: ${r.upstreamPort}`);
      }
      if (seen.has(r.domain)) throw new Error(`duplicate proxy route: ${r.domain}`);
      seen.add(r.domain);
      const draining = [...new Set(r.drainingPorts ?? [])].filter((p) => p !== r.upstreamPort);
      for (const p of draining)
        if (!Number.isInteger(p) || p < 1 || p > 65535) throw new Error(`invalid draining port for ${r.domain}: ${p}`);
      const address = proxy.tls === 'off' ? `http://${r.domain}` : r.domain;
      const upstreams = [r.upstreamPort, ...draining].map((p) => `127.0.0.1:${p}`).join(' ');
      const proxyLines = [
        `\treverse_proxy ${upstreams} {`,
        // Every request goes to the first upstream; one behind it is there only to keep its count of requests
        // in flight in Caddy's pool (/reverse_proxy/upstreams) while the previous release drains. Without
        // passive health checks the first is never passed over, not even when a dial to it fails.
        ...(draining.length > 0 ? ['\t\tlb_policy first'] : []),
        // A dial that fails (an upstream restarting) is retried instead of answered with a 502.
        '\t\tlb_try_duration 5s',
        '\t\tlb_try_interval 100ms',
        '\t}',
      ];
      // With auth, a `route` keeps the written order: strip headers, authenticate, then proxy.
      const handling = r.auth
        ? ['\troute {', ...[...authLines(r.auth), ...proxyLines].map((l) => `\t${l}`), '\t}']
        : proxyLines;
      const body = [...(proxy.tls === 'internal' ? ['\ttls internal'] : []), ...handling];
      return [`${address} {`, ...body, '}'].join('\n');
    });

  for (const r of [...(input.redirects ?? [])].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0))) {
    if (!DOMAIN.test(r.from) || !DOMAIN.test(r.to)) throw new Error(`invalid redirect ${r.from} → ${r.to}`);
    if (seen.has(r.from)) throw new Error(`duplicate proxy route: ${r.from}`);
    seen.add(r.from);
    const scheme = proxy.tls === 'off' ? 'http' : 'https';
    const port = proxy.tls === 'off' ? proxy.httpPort : proxy.httpsPort;
    const target = `${scheme}://${r.to}${port === (scheme === 'http' ? 80 : 443) ? '' : `:${port}`}{uri}`;
    const body = [...(proxy.tls === 'internal' ? ['\ttls internal'] : []), `\tredir ${target} permanent`];
    sites.push([`${proxy.tls === 'off' ? `http://${r.from}` : r.from} {`, ...body, '}'].join('\n'));
  }

  return [
    '# Managed by infrakt: rendered from its state on every change. Edits here are overwritten.',
    '{',
    ...global.map((g) => `\t${g}`),
    '}',
    ...sites.flatMap((s) => ['', s]),
    '',
  ].join('\n');
}

/**
 * A rendered Caddyfile without the upstreams a deploy's switch left behind its new one (`drainingPorts`): they take
 * no traffic and go with the next change of the config, so a file that differs from the render only by them is in
 * sync with it (`proxy status`, the inventory's drift check).
 */
export function withoutDrainingUpstreams(text: string): string {
  const lines = text.split('\n');
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\t+)reverse_proxy (127\.0\.0\.1:\d+)(?: 127\.0\.0\.1:\d+)+ \{$/.exec(lines[i]!);
    if (!m) {
      out.push(lines[i]!);
      continue;
    }
    out.push(`${m[1]}reverse_proxy ${m[2]} {`);
    if (lines[i + 1] === `${m[1]}\tlb_policy first`) i++;
  }
  return out.join('\n');
}

/** Whether the Caddyfile on a server is the one rendered from the state (draining upstreams aside). */
export const caddyfileInSync = (onServer: string, rendered: string): boolean =>
  onServer === rendered || withoutDrainingUpstreams(onServer) === rendered;
