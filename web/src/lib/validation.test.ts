import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { gitUrlSchema } from '../../../src/core/schemas/app.js';
import {
  branchSchema,
  domainSchema,
  envKeySchema,
  envValueSchema,
  fingerprintSchema,
  hostSchema,
  imageSchema,
  nameSchema,
  portSchema,
  providerSchema,
  remoteRootSchema,
  sshUserSchema,
} from '../../../src/core/schemas/common.js';
import {
  appCreateBody,
  type Check,
  checkBranch,
  checkDomain,
  checkEnvKey,
  checkEnvValue,
  checkFingerprint,
  checkGitUrl,
  checkHost,
  checkImage,
  checkName,
  checkPort,
  checkProvider,
  checkRemoteRoot,
  checkSshUser,
  confirmMatches,
  hasErrors,
  validateAppForm,
  validateDatabaseForm,
  validateEdgeServerForm,
  validateEnvPair,
  validateServerForm,
} from './validation.js';

// Each client check must agree with the server's schema on every sample: a drift fails here.
const CASES: [string, Check, z.ZodType, string[]][] = [
  [
    'name',
    checkName,
    nameSchema,
    ['web', 'a', 'web-1', '-web', 'Web', 'a_b', '', 'a'.repeat(63), 'a'.repeat(64), 'x y', '1abc'],
  ],
  [
    'domain',
    checkDomain,
    domainSchema,
    [
      'app.example.com',
      'App.Example.COM',
      'localhost',
      'a..b',
      '-a.com',
      'a-.com',
      'xn--80ak6aa92e.com',
      'a.b',
      ' app.test ',
    ],
  ],
  ['port', checkPort, portSchema, ['1', '80', '65535', '0', '65536', '-1', 'abc', '3.5', ' 8080 ']],
  [
    'image',
    checkImage,
    imageSchema,
    [
      'nginx',
      'nginx:alpine',
      'ghcr.io/org/app:1.2',
      'localhost:5000/x',
      'infrakt-test/web:1',
      'Nginx',
      'a b',
      'x:',
      'x@sha256:abc',
    ],
  ],
  [
    'git',
    checkGitUrl,
    gitUrlSchema,
    [
      'https://github.com/o/r.git',
      'http://github.com/o/r',
      'https://u:p@h/x',
      '/srv/repo.git',
      '/srv/../etc',
      'git@github.com:o/r',
      'ssh://git@git.example.com:2222/o/r.git',
      'git@-oProxyCommand=x:r',
      'ssh://git@host/../x',
      'ssh://host:99999/x',
      'git@host:-upload-pack',
      'https://',
    ],
  ],
  [
    'branch',
    checkBranch,
    branchSchema,
    ['main', 'feature/x', '-x', 'x/', 'a..b', 'x.lock', 'a//b', 'a/.b', 'v1.0', 'a b'],
  ],
  ['env key', checkEnvKey, envKeySchema, ['A', '_x', 'DATABASE_URL', '1A', 'A-B', 'a.b', 'Ä']],
  ['env value', checkEnvValue, envValueSchema, ['', 'x', 'a=b', 'with\0nul', 'x'.repeat(65_537)]],
  ['host', checkHost, hostSchema, ['local', '203.0.113.10', 'example.com', '::1', 'fe80::1', 'a_b', '-x', 'x..y']],
  ['ssh user', checkSshUser, sshUserSchema, ['root', 'deploy', '_svc', 'Root', '1x', 'a'.repeat(33)]],
  ['remote root', checkRemoteRoot, remoteRootSchema, ['/opt/infrakt', '/', 'opt', '/a/../b', '/a b', '/tmp/x-1']],
  [
    'fingerprint',
    checkFingerprint,
    fingerprintSchema,
    [`SHA256:${'A'.repeat(43)}`, `SHA256:${'A'.repeat(43)}=`, 'SHA256:short', `MD5:${'A'.repeat(43)}`],
  ],
  ['provider', checkProvider, providerSchema, ['hetzner', 'Digital Ocean', '-x', 'a'.repeat(64)]],
];

describe('client checks mirror the server schemas', () => {
  for (const [label, check, schema, samples] of CASES) {
    it(label, () => {
      for (const sample of samples) {
        const server = schema.safeParse(sample).success;
        expect({ sample, ok: check(sample) === null }).toEqual({ sample, ok: server });
      }
    });
  }
});

describe('form validators', () => {
  const server = {
    name: 'web-1',
    host: '127.0.0.1',
    user: 'root',
    port: '2222',
    keyPath: '',
    provider: '',
    root: '/opt/infrakt',
    fingerprint: '',
  };

  it('accepts a good server and names each bad field', () => {
    expect(hasErrors(validateServerForm(server))).toBe(false);
    const e = validateServerForm({ ...server, name: 'Web 1', host: '', port: '70000', fingerprint: 'nope' });
    expect(Object.keys(e).sort()).toEqual(['fingerprint', 'host', 'name', 'port']);
    expect(e.host).toBe('is required');
  });

  it('accepts a good edge device and names each bad field (no host: it dials out)', () => {
    const edge = { name: 'pi-1', relay: '', user: 'root', devicePort: '22', keyPath: '', root: '/opt/infrakt' };
    expect(hasErrors(validateEdgeServerForm(edge))).toBe(false);
    const e = validateEdgeServerForm({ ...edge, name: '', relay: 'Relay 1', devicePort: '0', root: 'opt' });
    expect(Object.keys(e).sort()).toEqual(['devicePort', 'name', 'relay', 'root']);
    expect(e.name).toBe('is required');
  });

  const app = {
    name: 'api',
    server: 'web-1',
    domain: '',
    port: '3000',
    image: 'nginx:alpine',
    git: '',
    branch: 'main',
  };

  it('requires the source field of the chosen app type only', () => {
    expect(validateAppForm('image', app)).toEqual({});
    expect(validateAppForm('image', { ...app, image: '' })).toEqual({ image: 'is required' });
    expect(validateAppForm('git', app)).toEqual({ git: 'is required' });
    expect(validateAppForm('git', { ...app, git: 'http://x/y', branch: '-b' })).toMatchObject({
      git: expect.stringContaining('https://'),
      branch: expect.any(String),
    });
    expect(validateAppForm('compose', { ...app, image: 'BAD IMAGE' })).toEqual({});
  });

  it('builds a create body with only the chosen type’s fields', () => {
    expect(appCreateBody('image', { ...app, domain: 'App.Test', git: 'https://x/y.git' })).toEqual({
      name: 'api',
      server: 'web-1',
      domain: 'app.test',
      port: 3000,
      image: 'nginx:alpine',
    });
    expect(appCreateBody('compose', app)).toEqual({ name: 'api', server: 'web-1', port: 3000 });
  });

  it('validates databases and env pairs', () => {
    expect(validateDatabaseForm({ name: 'db', server: 's', type: 'postgres', version: '' })).toEqual({});
    expect(validateDatabaseForm({ name: 'db', server: 's', type: 'oracle', version: 'bad version' })).toMatchObject({
      type: expect.stringContaining('postgres'),
      version: expect.any(String),
    });
    expect(validateEnvPair('API_KEY', 'x=y')).toEqual({});
    expect(validateEnvPair('', 'x')).toEqual({ key: 'is required' });
    expect(validateEnvPair('1X', 'a\0b')).toMatchObject({
      key: expect.any(String),
      value: 'must not contain NUL bytes',
    });
  });

  it('typed confirmation must match exactly', () => {
    expect(confirmMatches('web', 'web')).toBe(true);
    expect(confirmMatches('web ', 'web')).toBe(false);
    expect(confirmMatches('WEB', 'web')).toBe(false);
    expect(confirmMatches('', '')).toBe(false);
  });
});
