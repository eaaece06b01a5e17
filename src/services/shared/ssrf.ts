import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { InfraktError } from '../../core/errors.js';
import { CREDENTIALS_IN_URL, gitUrlProblem } from '../../core/schemas/app.js';

/**
 * SSRF guard for git URLs given over the API (and re-checked by the deploy engine right before
 * cloning, to beat DNS rebinding). A URL passes only if it is https, names its host in a canonical
 * form, and EVERY address the host resolves to is public unicast.
 */

export type Resolve = (host: string) => Promise<string[]>;

export interface PublicGitUrl {
  url: string;
  host: string;
  port: number;
  /** The checked addresses: pin one when cloning (`git -c http.curloptResolve=host:port:addr`). */
  addresses: string[];
}

const v4 = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this network", includes the unspecified address
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT (also Alibaba metadata 100.100.100.200)
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata 169.254.169.254
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments (Oracle metadata 192.0.0.192)
  ['192.0.2.0', 24],
  ['192.88.99.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved + broadcast
] as const) {
  v4.addSubnet(net, bits, 'ipv4');
}

const v6 = new BlockList();
for (const [net, bits] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['::', 96], // IPv4-compatible (deprecated)
  ['::ffff:0:0', 96], // IPv4-mapped: never accepted, whatever the IPv4
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // ULA (AWS metadata fd00:ec2::254)
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  v6.addSubnet(net, bits, 'ipv6');
}

const BLOCKED_NAMES = new Set(['localhost', 'metadata', 'metadata.google.internal', 'instance-data']);
const BLOCKED_SUFFIXES = ['.localhost', '.local', '.internal', '.localdomain', '.home.arpa'];

/** Expands an IPv6 address to 8 groups of 16 bits (dotted IPv4 tails included). */
function ipv6Groups(ip: string): number[] {
  let s = ip.toLowerCase().split('%')[0] ?? '';
  const tail = s.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (tail?.[1]) {
    const o = tail[1].split('.').map(Number);
    s = `${s.slice(0, -tail[1].length)}${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head = '', rest] = s.split('::');
  const h = head ? head.split(':') : [];
  const r = rest === undefined ? [] : rest ? rest.split(':') : [];
  const fill = rest === undefined ? [] : new Array(8 - h.length - r.length).fill('0');
  return [...h, ...fill, ...r].map((g) => Number.parseInt(g, 16));
}

function embeddedV4(groups: number[], hi: number, lo: number): string {
  const a = groups[hi]!;
  const b = groups[lo]!;
  return `${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
}

/** Why an address is not acceptable as a git host, or null if it is public unicast. */
export function blockedAddressReason(ip: string): string | null {
  const family = isIP(ip.split('%')[0] ?? '');
  if (family === 4) return v4.check(ip, 'ipv4') ? `${ip} is a private, loopback, link-local or reserved address` : null;
  if (family !== 6) return `${ip} is not an IP address`;
  const bare = ip.split('%')[0]!;
  const g = ipv6Groups(bare);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `${ip} is an IPv4-mapped IPv6 address`;
  if (v6.check(bare, 'ipv6')) return `${ip} is a private, loopback, link-local or reserved address`;
  // Prefixes that carry an IPv4 address: judge the IPv4 inside (NAT64 well-known, 6to4).
  if (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0)) {
    return blockedAddressReason(embeddedV4(g, 6, 7)) && `${ip} maps to a non-public IPv4 address`;
  }
  if (g[0] === 0x2002) return blockedAddressReason(embeddedV4(g, 1, 2)) && `${ip} maps to a non-public IPv4 address`;
  return null;
}

const bad = (url: string, why: string, hint?: string) =>
  new InfraktError('VALIDATION', `git URL ${url} is not allowed: ${why}`, {
    hint: hint ?? 'use an https URL of a public git host (e.g. https://github.com/org/repo.git)',
  });

export const systemResolve: Resolve = async (host) => {
  const res = await lookup(host, { all: true, verbatim: true });
  return res.map((r) => r.address);
};

/** Rejects unless `url` is https to a host whose every resolved address is public. */
export async function assertPublicGitUrl(
  input: string,
  opts: { resolve?: Resolve; timeoutMs?: number } = {},
): Promise<PublicGitUrl> {
  const urlText = input.trim();
  const shown = urlText.slice(0, 200);
  const problem = gitUrlProblem(urlText);
  if (problem === CREDENTIALS_IN_URL) {
    throw bad(
      '(redacted)',
      'credentials in the URL',
      'do not embed tokens in git URLs; use a deploy key on the server',
    );
  }
  if (problem) throw bad(shown, `the URL ${problem}`);
  const url = new URL(urlText);
  const host = url.hostname.toLowerCase();
  const port = url.port ? Number(url.port) : 443;
  if (host.startsWith('[')) {
    const ip = host.slice(1, -1);
    const why = blockedAddressReason(ip);
    if (why) throw bad(shown, why);
    return { url: url.href, host, port, addresses: [ip] };
  }
  if (isIP(host) === 4) {
    // Non-canonical forms (2130706433, 0177.0.0.1, 127.1) never get here: the href check refused them.
    const why = blockedAddressReason(host);
    if (why) throw bad(shown, why);
    return { url: url.href, host, port, addresses: [host] };
  }
  const name = host.replace(/\.$/, '');
  if (!name.includes('.')) throw bad(shown, 'single-label host names resolve inside the local network');
  if (BLOCKED_NAMES.has(name) || BLOCKED_SUFFIXES.some((s) => name.endsWith(s))) {
    throw bad(shown, `${name} is a local or metadata host name`);
  }
  const addresses = await resolveWithTimeout(opts.resolve ?? systemResolve, name, opts.timeoutMs ?? 5000, shown);
  if (addresses.length === 0) throw bad(shown, `${name} does not resolve`);
  for (const a of addresses) {
    const why = blockedAddressReason(a);
    if (why) throw bad(shown, `${name} resolves to a non-public address (${why})`);
  }
  return { url: url.href, host: name, port, addresses };
}

async function resolveWithTimeout(resolve: Resolve, name: string, ms: number, shown: string): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(bad(shown, `resolving ${name} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([resolve(name), timeout]);
  } catch (e) {
    if (e instanceof InfraktError) throw e;
    throw bad(shown, `${name} does not resolve (${(e as NodeJS.ErrnoException).code ?? 'DNS error'})`);
  } finally {
    clearTimeout(timer);
  }
}
