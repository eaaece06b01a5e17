import { describe, expect, it } from 'vitest';
import { assertPublicGitUrl, blockedAddressReason, type Resolve } from '../../src/services/shared/ssrf.js';

const dns: Record<string, string[]> = {
  'github.com': ['140.82.112.3'],
  'dual.example.com': ['140.82.112.3', '2606:50c0:8000::153'],
  'rebind.example.com': ['127.0.0.1'],
  'mixed.example.com': ['140.82.112.3', '10.1.2.3'],
  'meta.example.com': ['169.254.169.254'],
  'v6local.example.com': ['::1'],
  'mapped.example.com': ['::ffff:127.0.0.1'],
  'ula.example.com': ['fd12:3456::1'],
};
const resolve: Resolve = async (host) => {
  const a = dns[host];
  if (!a) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
  return a;
};
const check = (url: string) => assertPublicGitUrl(url, { resolve });

describe('accepted', () => {
  it.each([
    'https://github.com/acme/site.git',
    'https://github.com:8443/acme/site',
    'https://dual.example.com/x.git',
    'https://140.82.112.3/x.git',
    'https://[2606:4700::1111]/x.git',
  ])('%s', async (url) => {
    const r = await check(url);
    expect(r.addresses.length).toBeGreaterThan(0);
  });

  it('returns the checked addresses for pinning at clone time', async () => {
    expect(await check('https://github.com:8443/a/b')).toMatchObject({
      host: 'github.com',
      port: 8443,
      addresses: ['140.82.112.3'],
    });
  });
});

describe('rejected', () => {
  it.each([
    ['loopback', 'https://127.0.0.1/x.git'],
    ['loopback /8', 'https://127.1.2.3/x.git'],
    ['10/8', 'https://10.0.0.1/x.git'],
    ['172.16/12', 'https://172.16.0.1/x.git'],
    ['172.31 (top of 172.16/12)', 'https://172.31.255.254/x.git'],
    ['192.168/16', 'https://192.168.1.10/x.git'],
    ['CGNAT 100.64/10', 'https://100.64.0.1/x.git'],
    ['metadata 169.254.169.254', 'https://169.254.169.254/latest/meta-data'],
    ['unspecified', 'https://0.0.0.0/x.git'],
    ['multicast', 'https://224.0.0.1/x.git'],
    ['[::1]', 'https://[::1]/x.git'],
    ['[::]', 'https://[::]/x.git'],
    ['link-local v6', 'https://[fe80::1]/x.git'],
    ['ULA', 'https://[fd00:ec2::254]/x.git'],
    ['IPv4-mapped IPv6', 'https://[::ffff:127.0.0.1]/x.git'],
    ['IPv4-mapped IPv6 of a public address', 'https://[::ffff:8.8.8.8]/x.git'],
    ['decimal IPv4', 'https://2130706433/x.git'],
    ['octal IPv4', 'https://0177.0.0.1/x.git'],
    ['hex IPv4', 'https://0x7f.0.0.1/x.git'],
    ['short IPv4', 'https://127.1/x.git'],
    ['decimal form of a public IPv4', 'https://134744072/x.git'],
    ['host resolving to 127.0.0.1', 'https://rebind.example.com/x.git'],
    ['host with one private address among public ones', 'https://mixed.example.com/x.git'],
    ['host resolving to the metadata address', 'https://meta.example.com/x.git'],
    ['host resolving to ::1', 'https://v6local.example.com/x.git'],
    ['host resolving to an IPv4-mapped address', 'https://mapped.example.com/x.git'],
    ['host resolving to a ULA', 'https://ula.example.com/x.git'],
    ['localhost', 'https://localhost/x.git'],
    ['*.localhost', 'https://app.localhost/x.git'],
    ['metadata name', 'https://metadata.google.internal/x'],
    ['single-label name', 'https://gitlab/x.git'],
    ['unresolvable', 'https://nope.example.com/x.git'],
    ['http', 'http://github.com/x.git'],
    ['ssh', 'ssh://git@github.com/x.git'],
    ['file', 'file:///etc/passwd'],
    ['credentials', 'https://user:tok@github.com/x.git'],
    ['not a URL', 'github.com/x'],
    // Issue 11 item 1: the WHATWG parser and git/curl disagree about these hosts.
    ['backslash before userinfo (loopback)', 'https://github.com\\@127.0.0.1:8443/org/repo.git'],
    ['backslash before userinfo (metadata)', 'https://github.com\\@169.254.169.254/latest'],
    ['backslash before userinfo ([::1])', 'https://github.com\\@[::1]:8443/x.git'],
    ['backslash after a public IPv4 literal', 'https://8.8.8.8\\@127.0.0.1:8443/x.git'],
    ['backslash as path separator', 'https://github.com\\org\\repo.git'],
    ['empty userinfo', 'https://@github.com/x.git'],
    ['userinfo with only a colon', 'https://:@github.com/x.git'],
    ['upper-case host (not canonical)', 'https://GitHub.com/x.git'],
    ['default port spelled out', 'https://github.com:443/x.git'],
    ['trailing dot', 'https://github.com./x.git'],
    ['no path', 'https://github.com'],
    ['percent-encoded host', 'https://git%68ub.com/x.git'],
    ['non-ASCII host', 'https://gíthub.com/x.git'],
    ['dot segments', 'https://github.com/a/../b.git'],
    ['non-canonical IPv6', 'https://[0:0:0:0:0:0:0:1]/x.git'],
  ])('%s: %s', async (_why, url) => {
    await expect(check(url)).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('a non-canonical URL is refused with its canonical form in the message', async () => {
    await expect(check('https://GitHub.com/x.git')).rejects.toThrow(/canonical form: https:\/\/github\.com\/x\.git/);
    await expect(check('https://github.com\\@127.0.0.1:8443/x')).rejects.toThrow(/must not contain "\\"/);
  });

  it('credentials are not echoed in the error', async () => {
    const e = await check('https://user:s3cret@github.com/x.git').catch((x) => x);
    expect(e.message).not.toContain('s3cret');
  });

  it('a resolver that hangs times out', async () => {
    const never: Resolve = () => new Promise(() => {});
    await expect(assertPublicGitUrl('https://slow.example.com/x', { resolve: never, timeoutMs: 50 })).rejects.toThrow(
      /longer than 50 ms/,
    );
  });
});

describe('blockedAddressReason', () => {
  it('judges the IPv4 inside NAT64 and 6to4 addresses', () => {
    expect(blockedAddressReason('64:ff9b::7f00:1')).toMatch(/non-public/);
    expect(blockedAddressReason('64:ff9b::808:808')).toBeNull();
    expect(blockedAddressReason('2002:c0a8:101::1')).toMatch(/non-public/);
    expect(blockedAddressReason('8.8.8.8')).toBeNull();
    expect(blockedAddressReason('not-an-ip')).toMatch(/not an IP/);
  });
});
