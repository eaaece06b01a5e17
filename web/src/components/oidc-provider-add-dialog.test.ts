import { describe, expect, it } from 'vitest';
import { providerBody } from './oidc-provider-add-dialog.js';

const form = {
  name: ' corp ',
  kind: 'oidc' as const,
  issuer: ' https://login.example.com ',
  apiUrl: 'https://ignored.example.com/api/v3',
  clientId: ' web ',
  clientSecret: ' keep spaces ',
  label: '',
};

describe('providerBody: what the Sign-in providers form sends', () => {
  it('an OpenID Connect provider: trimmed fields, the secret as typed, no GitHub API URL, blanks and empty rules left out', () => {
    expect(providerBody(form, [{ match: '  ', role: 'admin', servers: '' }])).toEqual({
      name: 'corp',
      kind: 'oidc',
      issuer: 'https://login.example.com',
      clientId: 'web',
      clientSecret: ' keep spaces ',
    });
  });

  it('GitHub: the issuer (Enterprise) and API URL only when given; rules with their role and servers', () => {
    const body = providerBody({ ...form, kind: 'github', issuer: '', label: 'GitHub' }, [
      { match: '@example.com', role: 'viewer', servers: '' },
      { match: ' ops@example.com ', role: 'admin', servers: 'web-1, ,db-1 ' },
    ]);
    expect(body).toEqual({
      name: 'corp',
      kind: 'github',
      apiUrl: 'https://ignored.example.com/api/v3',
      clientId: 'web',
      clientSecret: ' keep spaces ',
      label: 'GitHub',
      allow: [
        { match: '@example.com', role: 'viewer' },
        { match: 'ops@example.com', role: 'admin', servers: ['web-1', 'db-1'] },
      ],
    });
  });
});
