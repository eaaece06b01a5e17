// What infrakt accepts of a provider before any user relies on it: the issuer URL (https, plain http only on
// loopback) and the discovery document (same issuer, https endpoints, the code flow, PKCE S256, an algorithm we verify).
import { describe, expect, it } from 'vitest';
import { checkDiscovery } from '../../src/services/auth/oidc-http.js';
import { isLoopbackHost, providerUrlProblem } from '../../src/services/auth/providers.js';

const ISSUER = 'https://login.example.com';
const doc = (over: Record<string, unknown> = {}) => ({
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/authorize`,
  token_endpoint: `${ISSUER}/token`,
  jwks_uri: `${ISSUER}/jwks`,
  userinfo_endpoint: `${ISSUER}/userinfo`,
  response_types_supported: ['code', 'id_token'],
  code_challenge_methods_supported: ['S256'],
  id_token_signing_alg_values_supported: ['RS256'],
  ...over,
});

describe('provider URLs', () => {
  it.each([
    ['https://login.example.com', null],
    ['https://login.example.com/realms/acme', null],
    ['http://127.0.0.1:9000', null],
    ['http://127.8.9.10', null],
    ['http://[::1]:9000', null],
    ['http://localhost:9000', null],
    ['http://login.example.com', /must use https/],
    ['http://10.0.0.5', /must use https/],
    ['http://127.0.0.1.example.com', /must use https/],
    ['ftp://login.example.com', /must be an https URL/],
    ['https://user:pw@login.example.com', /credentials/],
    ['https://login.example.com/?x=1', /query/],
    ['https://login.example.com/#x', /fragment/],
    ['login.example.com', /absolute URL/],
  ])('%s', (url, problem) => {
    const got = providerUrlProblem(url);
    if (problem === null) expect(got).toBeNull();
    else expect(got).toMatch(problem);
  });

  it('knows loopback hosts', () => {
    expect(['127.0.0.1', '127.255.0.9', '::1', '[::1]', 'LOCALHOST'].map(isLoopbackHost)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['128.0.0.1', '0.0.0.0', 'example.com', '::2'].map(isLoopbackHost)).toEqual([false, false, false, false]);
  });
});

describe('discovery documents', () => {
  it('accepts a complete document, and one that leaves the optional lists out', () => {
    expect(checkDiscovery(ISSUER, doc()).token_endpoint).toBe(`${ISSUER}/token`);
    const minimal = doc({
      response_types_supported: undefined,
      code_challenge_methods_supported: undefined,
      id_token_signing_alg_values_supported: undefined,
      userinfo_endpoint: undefined,
    });
    expect(checkDiscovery(ISSUER, minimal).jwks_uri).toBe(`${ISSUER}/jwks`);
  });

  it.each([
    [{ issuer: `${ISSUER}/` }, /says its issuer is https:\/\/login\.example\.com\/, not/],
    [{ token_endpoint: undefined }, /has no token_endpoint/],
    [{ jwks_uri: 42 }, /has no jwks_uri/],
    [{ token_endpoint: 'http://login.example.com/token' }, /token_endpoint must be an https URL/],
    [{ authorization_endpoint: 'javascript:alert(1)' }, /authorization_endpoint must be an https URL/],
    [{ userinfo_endpoint: 'http://evil.example/userinfo' }, /userinfo_endpoint must be an https URL/],
    // A remote provider cannot send the client secret to a plain port of this machine.
    [{ token_endpoint: 'http://127.0.0.1:8080/token' }, /token_endpoint must be an https URL/],
    [{ response_types_supported: ['id_token'] }, /authorization code flow/],
    [{ code_challenge_methods_supported: ['plain'] }, /PKCE with S256/],
    [{ id_token_signing_alg_values_supported: ['HS256', 'none'] }, /signs ID tokens only with HS256, none/],
  ])('refuses %j', (over, message) => {
    expect(() => checkDiscovery(ISSUER, doc(over))).toThrow(message);
  });

  it('lets a loopback issuer use plain http endpoints on loopback only', () => {
    const local = 'http://127.0.0.1:9000';
    const ok = {
      issuer: local,
      authorization_endpoint: `${local}/a`,
      token_endpoint: `${local}/t`,
      jwks_uri: `${local}/j`,
    };
    expect(checkDiscovery(local, ok).issuer).toBe(local);
    expect(() => checkDiscovery(local, { ...ok, token_endpoint: 'http://198.51.100.7/t' })).toThrow(/token_endpoint/);
  });
});
