import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { hetznerApi } from '../../../src/adapters/providers/hetzner/api.js';
import { HetznerApiError, HetznerClient, rateLimitWait } from '../../../src/adapters/providers/hetzner/client.js';
import { generateHostKey } from '../../../src/adapters/providers/host-key.js';
import { hostKeyUserData } from '../../../src/core/providers/cloud-init.js';
import { md5Fingerprint } from '../../../src/core/providers/ssh-key.js';
import { Secret } from '../../../src/core/secret.js';
import { FakeHetzner } from '../../harness/fake-hetzner.js';

const TOKEN = 'a'.repeat(64);

describe('Hetzner Cloud client against the loopback fake', () => {
  const fake = new FakeHetzner({ token: TOKEN });
  let url: string;
  beforeAll(async () => {
    url = await fake.start();
  });
  afterAll(() => fake.stop());
  const client = (opts: Partial<ConstructorParameters<typeof HetznerClient>[0]> = {}) =>
    new HetznerClient({ token: new Secret(TOKEN), endpoint: url, ...opts });

  it('429 rate_limit_exceeded is retried after the wait the headers allow, then succeeds', async () => {
    fake.rateLimitNext(2);
    const waits: number[] = [];
    const before = fake.requests.length;
    const keys = await hetznerApi(client({ onRetry: (_w, ms) => waits.push(ms) })).listSshKeys();
    expect(keys).toEqual([]);
    expect(fake.requests.slice(before).map((r) => r.status)).toEqual([429, 429, 200]);
    expect(waits).toHaveLength(2);
    for (const w of waits) expect(w).toBeLessThanOrEqual(2000);
  });

  it('gives up after the configured number of 429s with a RATE_LIMITED error carrying the API code', async () => {
    fake.rateLimitNext(3);
    const err = await client({ maxRateLimitRetries: 1, sleep: async () => {} })
      .request('GET', '/ssh_keys')
      .catch((e) => e);
    expect(err).toBeInstanceOf(HetznerApiError);
    expect(err).toMatchObject({ code: 'RATE_LIMITED', apiCode: 'rate_limit_exceeded', status: 429 });
    fake.rateLimitNext(0);
  });

  it('the documented error object becomes an InfraktError; the token is in neither message nor hint', async () => {
    const wrong = new HetznerClient({ token: new Secret('b'.repeat(64)), endpoint: url });
    const err = (await wrong.request('GET', '/servers').catch((e) => e)) as HetznerApiError;
    expect(err.code).toBe('UNAUTHORIZED');
    expect(err.message).toBe('Hetzner Cloud API: unable to authenticate (unauthorized, HTTP 401)');
    expect(`${err.message} ${err.hint}`).not.toContain('b'.repeat(16));
    const bad = (await hetznerApi(client())
      .createSshKey({ name: 'x', public_key: 'not a key', labels: {} })
      .catch((e) => e)) as HetznerApiError;
    expect(bad).toMatchObject({ code: 'VALIDATION', apiCode: 'invalid_input', status: 400 });
  });

  it('lists follow meta.pagination across pages', async () => {
    for (let i = 0; i < 60; i++) {
      const id = 500_000 + i;
      fake.sshKeys.set(id, {
        id,
        name: `k${i}`,
        fingerprint: `fp${i}`,
        public_key: 'ssh-ed25519 AAAA',
        labels: {},
        created: '',
      });
    }
    const before = fake.requests.length;
    const keys = await hetznerApi(client()).listSshKeys();
    expect(keys).toHaveLength(60);
    expect(fake.requests.slice(before).map((r) => new URL(r.path, 'http://x').searchParams.get('page'))).toEqual([
      '1',
      '2',
    ]);
    fake.sshKeys.clear();
  });

  it('rateLimitWait: Retry-After first, else backoff capped by RateLimit-Reset and the maximum', () => {
    const h = (o: Record<string, string>) => new Headers(o);
    expect(rateLimitWait(h({ 'Retry-After': '3' }), 0, 0, 60_000)).toBe(3000);
    expect(rateLimitWait(h({ 'RateLimit-Reset': '10' }), 0, 9_500, 60_000)).toBe(500);
    expect(rateLimitWait(h({}), 3, 0, 5_000)).toBe(5000);
  });
});

describe('host key injection', () => {
  it('cloud-init user data carries the generated ed25519 key and nothing else to trust', async () => {
    const hk = generateHostKey();
    expect(hk.line).toMatch(/^ssh-ed25519 [A-Za-z0-9+/]+=*$/);
    expect(hk.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    const ud = hostKeyUserData(hk);
    expect(String(ud)).toBe('[redacted]');
    const text = ud.reveal();
    expect(text.startsWith('#cloud-config\n')).toBe(true);
    const doc = parse(text) as {
      ssh_deletekeys: boolean;
      ssh_genkeytypes: unknown[];
      ssh_keys: Record<string, string>;
    };
    expect(doc.ssh_deletekeys).toBe(true);
    expect(doc.ssh_genkeytypes).toEqual([]);
    expect(doc.ssh_keys.ed25519_private).toContain('-----BEGIN OPENSSH PRIVATE KEY-----');
    expect(doc.ssh_keys.ed25519_public?.startsWith(hk.line)).toBe(true);
  });

  it('md5Fingerprint matches the format the API shows', () => {
    expect(
      md5Fingerprint('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGv5g3lQJq3Gm9Q2m8G2wQp3i2bS3nB3J3sWg1m5qX5F c'),
    ).toMatch(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
  });
});
