import { describe, expect, it } from 'vitest';
import { InfraktError } from '../../src/core/errors.js';
import { appCreateSchema, gitUrlSchema, inferAppType } from '../../src/core/schemas/app.js';
import { branchSchema, domainSchema, imageSchema, nameSchema, portSchema } from '../../src/core/schemas/common.js';
import { parseEnvPairs } from '../../src/core/schemas/env.js';
import { parseInput } from '../../src/core/schemas/parse.js';
import { serverAddSchema } from '../../src/core/schemas/server.js';
import { ENV_CORPUS } from '../helpers/env-corpus.js';

const ok = (schema: { safeParse(v: unknown): { success: boolean } }, v: unknown) => schema.safeParse(v).success;

function validationError(fn: () => unknown): InfraktError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InfraktError);
    expect((e as InfraktError).code).toBe('VALIDATION');
    return e as InfraktError;
  }
  throw new Error('expected a VALIDATION error, nothing was thrown');
}

describe('names', () => {
  it.each(['a', 'web', 'prod-1', '1st', 'a-b-c', 'x'.repeat(63)])('accepts %j', (n) => {
    expect(ok(nameSchema, n)).toBe(true);
  });

  it.each([
    ['shell metacharacter', 'a;b'],
    ['path traversal', '../x'],
    ['slash', 'a/b'],
    ['empty', ''],
    ['64 characters', 'x'.repeat(64)],
    ['upper case', 'Web'],
    ['all upper case', 'PROD'],
    ['leading dash (option injection)', '-rf'],
    ['space', 'a b'],
    ['dot', 'a.b'],
    ['underscore', 'a_b'],
    ['newline', 'a\nb'],
    ['command substitution', '$(id)'],
    ['unicode', 'café'],
  ])('rejects %s', (_why, n) => {
    expect(ok(nameSchema, n)).toBe(false);
  });

  it('rejects non-strings', () => {
    expect(ok(nameSchema, undefined)).toBe(false);
    expect(ok(nameSchema, 12)).toBe(false);
  });
});

describe('domains', () => {
  it.each(['app.example.com', 'a.io', 'x-1.y-2.example.org', 'xn--bcher-kva.example'])('accepts %j', (d) => {
    expect(ok(domainSchema, d)).toBe(true);
  });

  it('normalises case and surrounding space', () => {
    expect(domainSchema.parse('  App.Example.COM ')).toBe('app.example.com');
  });

  it.each([
    ['single label', 'localhost'],
    ['empty', ''],
    ['leading dash label', '-a.example.com'],
    ['trailing dash label', 'a-.example.com'],
    ['empty label', 'a..example.com'],
    ['leading dot', '.example.com'],
    ['trailing dot', 'example.com.'],
    ['underscore', 'a_b.example.com'],
    ['port', 'example.com:80'],
    ['scheme', 'https://example.com'],
    ['path', 'example.com/x'],
    ['space', 'a b.example.com'],
    ['shell', 'a;b.example.com'],
    ['caddyfile brace', 'a{b}.example.com'],
    ['label of 64', `${'a'.repeat(64)}.com`],
    ['over 253 characters', `${Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.')}.com`],
  ])('rejects %s', (_why, d) => {
    expect(ok(domainSchema, d)).toBe(false);
  });
});

describe('ports', () => {
  it.each([1, 22, 3000, 65535, '8080'])('accepts %j', (p) => {
    expect(ok(portSchema, p)).toBe(true);
  });

  it('coerces numeric strings to numbers', () => {
    expect(portSchema.parse('443')).toBe(443);
  });

  it.each([0, 65536, -1, 1.5, 'abc', '', '22abc', Number.NaN, Number.POSITIVE_INFINITY])('rejects %j', (p) => {
    expect(ok(portSchema, p)).toBe(false);
  });

  it('names the field and the range in the error', () => {
    const e = validationError(() => parseInput(serverAddSchema, { name: 's', host: 'h', port: 65536 }, 'server'));
    expect(e.message).toBe('invalid port: must be between 1 and 65535');
  });
});

describe('images', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  it.each([
    'nginx',
    'nginx:alpine',
    'nginx:1.27.0-alpine',
    'library/nginx:latest',
    'ghcr.io/org/app:1.2',
    'ghcr.io/org/team/app',
    'localhost:5000/app:1',
    'registry.local:5000/org/app:v2',
    '127.0.0.1:5000/app',
    `nginx@${digest}`,
    `nginx:alpine@${digest}`,
    `ghcr.io/org/app@${digest}`,
    `localhost:5000/app:1@${digest}`,
    'my_app',
    'a__b',
    'a--b',
    'app:Tag_1.0',
  ])('accepts %j', (i) => {
    expect(ok(imageSchema, i)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['upper-case repository', 'Nginx'],
    ['empty tag', 'nginx:'],
    ['tag starting with a dot', 'nginx:.x'],
    ['tag of 129 characters', `nginx:${'a'.repeat(129)}`],
    ['short digest', 'nginx@sha256:abc'],
    ['upper-case digest', `nginx@sha256:${'A'.repeat(64)}`],
    ['unknown digest algorithm', `nginx@md5:${'a'.repeat(32)}`],
    ['leading dash', '-nginx'],
    ['shell', 'nginx;rm -rf /'],
    ['space', 'nginx alpine'],
    ['scheme', 'https://ghcr.io/org/app'],
    ['double slash', 'ghcr.io//app'],
    ['trailing slash', 'ghcr.io/app/'],
    ['over 255 characters', `a/${'b'.repeat(260)}`],
  ])('rejects %s', (_why, i) => {
    expect(ok(imageSchema, i)).toBe(false);
  });
});

describe('branches', () => {
  it.each(['main', 'feature/login', 'v1.2.3', 'release-2024_01', 'a/b/c'])('accepts %j', (b) => {
    expect(ok(branchSchema, b)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['leading dash (option injection)', '-x'],
    ['leading slash', '/main'],
    ['trailing slash', 'main/'],
    ['trailing dot', 'main.'],
    ['double dot', 'a..b'],
    ['double slash', 'a//b'],
    ['.lock suffix', 'main.lock'],
    ['component starting with a dot', 'a/.b'],
    ['space', 'a b'],
    ['semicolon', 'a;b'],
    ['reflog syntax', 'main@{1}'],
    ['tilde', 'a~1'],
    ['caret', 'a^'],
    ['colon', 'a:b'],
    ['newline', 'a\nb'],
  ])('rejects %s', (_why, b) => {
    expect(ok(branchSchema, b)).toBe(false);
  });
});

describe('git sources', () => {
  it.each([
    'https://github.com/org/repo.git',
    'https://git.example.com:8443/org/repo',
    'https://[::1]:8080/repo.git',
    '/srv/git/app.git',
    '/tmp/repo',
    'git@github.com:org/repo.git',
    'ssh://git@github.com/org/repo.git',
    'ssh://git@git.example.com:2222/org/repo.git',
  ])('accepts %j', (u) => {
    expect(ok(gitUrlSchema, u)).toBe(true);
  });

  it.each([
    ['plain http', 'http://github.com/org/repo.git'],
    ['ssh option as host', '-oProxyCommand=touch%20/tmp/x:repo'],
    ['ssh host starting with -', 'git@-oProxyCommand=x:repo'],
    ['ssh path traversal', 'ssh://git@host/srv/../etc'],
    ['ssh port out of range', 'ssh://git@host:70000/repo'],
    ['ssh path option', 'git@host:-upload-pack=x'],
    ['ssh without path', 'ssh://git@host'],
    ['ssh with shell in path', 'git@host:$(id)'],
    ['file scheme', 'file:///srv/repo'],
    ['ext transport', 'ext::sh -c touch% /tmp/pwned'],
    ['credentials in URL', 'https://user:token@github.com/org/repo.git'],
    ['backslash userinfo (issue 11)', 'https://github.com\\@127.0.0.1:8443/org/repo.git'],
    ['backslash after a public IP', 'https://8.8.8.8\\@127.0.0.1:8443/x.git'],
    ['backslash to [::1]', 'https://github.com\\@[::1]:8443/x.git'],
    ['empty userinfo', 'https://@github.com/x.git'],
    ['not canonical: upper-case host', 'https://GitHub.com/x.git'],
    ['not canonical: default port', 'https://github.com:443/x.git'],
    ['not canonical: decimal IPv4', 'https://2130706433/x.git'],
    ['host ending in a dot', 'https://github.com./x.git'],
    ['user in URL', 'https://user@github.com/org/repo.git'],
    ['relative path', 'repo.git'],
    ['option injection', '--upload-pack=touch /tmp/x'],
    ['path traversal', '/srv/../etc'],
    ['shell in path', '/srv/$(id)'],
    ['space in URL', 'https://example.com/a b'],
    ['newline in URL', 'https://example.com/a\nb'],
    ['tab in URL', 'https://example.com/a\tb'],
    ['empty', ''],
  ])('rejects %s', (_why, u) => {
    expect(ok(gitUrlSchema, u)).toBe(false);
  });
});

describe('app create input', () => {
  it('applies the defaults (port 3000, branch main)', () => {
    const a = appCreateSchema.parse({ server: 's', name: 'web' });
    expect(a.port).toBe(3000);
    expect(a.branch).toBe('main');
  });

  it('refuses both --image and --git', () => {
    const e = validationError(() =>
      parseInput(appCreateSchema, { server: 's', name: 'w', image: 'nginx', git: 'https://x.io/r' }, 'app'),
    );
    expect(e.message).toContain('either --image or --git');
  });

  it('infers the type as the spec says: image, then git, else compose', () => {
    expect(inferAppType({ image: 'nginx' })).toBe('image');
    expect(inferAppType({ git: 'https://x.io/r' })).toBe('git');
    expect(inferAppType({})).toBe('compose');
  });
});

describe('server add input', () => {
  it('applies the defaults (user root, port 22)', () => {
    const s = serverAddSchema.parse({ name: 'prod-1', host: '1.2.3.4' });
    expect(s).toMatchObject({ user: 'root', port: 22, root: '/opt/infrakt' });
  });

  it.each(['1.2.3.4', 'example.com', 'local', '::1', 'fe80::1'])('accepts host %j', (host) => {
    expect(ok(serverAddSchema, { name: 's', host })).toBe(true);
  });

  it.each(['', 'a b', 'h;id', '-oProxyCommand=x', 'user@host', 'host:22'])('rejects host %j', (host) => {
    expect(ok(serverAddSchema, { name: 's', host })).toBe(false);
  });

  it.each(['Root', '-x', 'a;b', ''])('rejects user %j', (user) => {
    expect(ok(serverAddSchema, { name: 's', host: 'h', user })).toBe(false);
  });
});

describe('KEY=VALUE pairs', () => {
  it('splits at the first "="', () => {
    expect(parseEnvPairs(['K=a=b'])).toEqual([{ key: 'K', value: 'a=b' }]);
  });

  it('accepts an empty value', () => {
    expect(parseEnvPairs(['K='])).toEqual([{ key: 'K', value: '' }]);
  });

  it('keeps values verbatim (spaces, quotes, shell characters, unicode)', () => {
    const v = ` a 'b' "c" $(id) \`x\` ; é\n`;
    expect(parseEnvPairs([`_K1=${v}`])).toEqual([{ key: '_K1', value: v }]);
  });

  it('accepts every value of the hostile env corpus (each reaches the container byte for byte)', () => {
    for (const [k, v] of ENV_CORPUS) expect(parseEnvPairs([`${k}=${v}`])).toEqual([{ key: k, value: v }]);
    expect(parseEnvPairs(['E=🚀'])).toEqual([{ key: 'E', value: '🚀' }]);
  });

  it('lets the last of repeated keys win', () => {
    expect(parseEnvPairs(['A=1', 'B=2', 'A=3'])).toEqual([
      { key: 'A', value: '3' },
      { key: 'B', value: '2' },
    ]);
  });

  it.each([
    ['missing name', '=v'],
    ['missing "="', 'K'],
    ['name starting with a digit', '1K=v'],
    ['dash in name', 'MY-KEY=v'],
    ['space in name', 'MY KEY=v'],
    ['dot in name', 'a.b=v'],
    ['name over 255 characters', `${'K'.repeat(256)}=v`],
    ['NUL in value', 'K=a\0b'],
    ['value over 64 KiB', `K=${'x'.repeat(65_537)}`],
    // Issue 11 item 9: refused clearly instead of silently changed or dropped.
    ['value over 64 KiB in UTF-8 (fewer characters)', `K=${'日'.repeat(30_000)}`],
    ['a lone high surrogate', 'K=a\ud800b'],
    ['a lone low surrogate', 'K=\udc00'],
    ['a reversed surrogate pair', 'K=\udc00\ud800'],
    ['__proto__ as a name', '__proto__=x'],
    ['constructor as a name', 'constructor=x'],
    ['prototype as a name', 'prototype=x'],
  ])('rejects %s', (_why, pair) => {
    validationError(() => parseEnvPairs([pair]));
  });

  it('is all-or-nothing: one bad pair rejects the whole call', () => {
    validationError(() => parseEnvPairs(['A=1', 'bad', 'B=2']));
  });

  it('rejects an empty list', () => {
    validationError(() => parseEnvPairs([]));
  });

  it('never echoes a value in the error (a bare or key-less argument may be a secret)', () => {
    for (const pair of ['=hunter2-canary', 'hunter2-canary', 'postgres://u:hunter2-canary@h/db?ssl=1']) {
      const e = validationError(() => parseEnvPairs(['A=1', pair]));
      expect(`${e.message} ${e.hint}`).not.toContain('hunter2-canary');
      expect(e.message).toContain('#2');
    }
  });

  it('names a plain invalid key so the user can fix it', () => {
    expect(validationError(() => parseEnvPairs(['1K=v'])).message).toContain("'1K'");
  });
});
