import { describe, expect, it } from 'vitest';
import { type CatalogInput, generateValue, parseGenerator } from '../../../src/core/catalog/input-types.js';
import { checkInputValue, isVisible, parseSetPairs, resolveInputs } from '../../../src/core/catalog/inputs.js';
import { inputSchema } from '../../../src/core/catalog/manifest-schema.js';

const input = (i: Record<string, unknown>): CatalogInput => inputSchema.parse({ label: 'L', ...i }) as CatalogInput;
const check = (i: Record<string, unknown>, v: string) => checkInputValue(input({ name: 'x', ...i }), v);
const msg = (i: Record<string, unknown>, v: string) => {
  const r = check(i, v);
  return r.ok ? `ok:${r.value}` : r.message;
};
// A deterministic byte source: rejection sampling and formatting are what these tests check.
const counter = () => {
  let n = 0;
  return (b: Uint8Array) => b.map(() => n++ % 256);
};

describe('catalog inputs: types and validation', () => {
  it('string: length bounds and pattern with its message', () => {
    expect(msg({ type: 'string', min_length: 3 }, 'ab')).toBe('must be at least 3 characters');
    expect(msg({ type: 'string', max_length: 3 }, 'abcd')).toBe('must be at most 3 characters');
    expect(msg({ type: 'string', pattern: '[a-z]+' }, 'abc1')).toBe('must match [a-z]+');
    expect(msg({ type: 'string', pattern: '[a-z]+', pattern_message: 'lower-case only' }, 'A')).toBe('lower-case only');
    expect(msg({ type: 'string', pattern: '[a-z]+' }, '  abc ')).toBe('ok:abc');
    expect(msg({ type: 'string' }, 'a\nb')).toBe('must be a single line of text');
  });

  it('integer: whole numbers within min/max, normalised', () => {
    expect(msg({ type: 'integer' }, '1.5')).toBe('must be a whole number');
    expect(msg({ type: 'integer' }, 'ten')).toBe('must be a whole number');
    expect(msg({ type: 'integer', min: 2 }, '1')).toBe('must be at least 2');
    expect(msg({ type: 'integer', max: 9 }, '10')).toBe('must be at most 9');
    expect(msg({ type: 'integer', min: -5 }, '-05')).toBe('ok:-5');
  });

  it('boolean: true/false and the usual spellings, normalised', () => {
    for (const t of ['true', 'YES', 'on', '1']) expect(msg({ type: 'boolean' }, t)).toBe('ok:true');
    for (const f of ['false', 'No', 'off', '0']) expect(msg({ type: 'boolean' }, f)).toBe('ok:false');
    expect(msg({ type: 'boolean' }, 'maybe')).toBe('must be true or false');
  });

  it('port: 1-65535, then min/max', () => {
    expect(msg({ type: 'port' }, '0')).toBe('must be between 1 and 65535');
    expect(msg({ type: 'port' }, '65536')).toBe('must be between 1 and 65535');
    expect(msg({ type: 'port' }, 'http')).toBe('must be between 1 and 65535');
    expect(msg({ type: 'port', min: 1024 }, '80')).toBe('must be at least 1024');
    expect(msg({ type: 'port' }, '08080')).toBe('ok:8080');
  });

  it('select: one of allowed_values; allowed_values also narrows other types', () => {
    expect(msg({ type: 'select', allowed_values: ['a', 'b'] }, 'c')).toBe('must be one of: a, b');
    expect(msg({ type: 'select', allowed_values: ['a', 'b'] }, 'b')).toBe('ok:b');
    expect(msg({ type: 'integer', allowed_values: [1, 2] }, '3')).toBe('must be one of: 1, 2');
  });

  it('email, domain and url', () => {
    expect(msg({ type: 'email' }, 'me@example.com')).toBe('ok:me@example.com');
    expect(msg({ type: 'email' }, 'me@localhost')).toMatch(/email address/);
    expect(msg({ type: 'email' }, 'a b@example.com')).toMatch(/email address/);
    expect(msg({ type: 'domain' }, 'App.Example.com')).toBe('ok:app.example.com');
    expect(msg({ type: 'domain' }, 'example')).toMatch(/fully qualified/);
    expect(msg({ type: 'domain' }, '-a.example.com')).toMatch(/fully qualified/);
    expect(msg({ type: 'url' }, 'https://x.example/path')).toBe('ok:https://x.example/path');
    expect(msg({ type: 'url' }, 'ftp://x.example')).toBe('must be an http:// or https:// URL');
    expect(msg({ type: 'url' }, 'javascript:alert(1)')).toBe('must be an http:// or https:// URL');
  });

  it('password: kept exactly as typed (spaces included), with length rules', () => {
    expect(msg({ type: 'password', min_length: 12 }, 'short')).toBe('must be at least 12 characters');
    expect(msg({ type: 'password' }, '  spaced pw  ')).toBe('ok:  spaced pw  ');
  });

  it('required: empty is refused, optional empty is fine', () => {
    expect(msg({ type: 'string', required: true }, '   ')).toBe('is required');
    expect(msg({ type: 'string' }, '')).toBe('ok:');
  });
});

describe('catalog inputs: visible_if, generators, resolution', () => {
  const inputs = [
    input({ name: 'smtp', type: 'boolean', default: false }),
    input({
      name: 'smtp_tls',
      type: 'select',
      allowed_values: ['starttls', 'tls', 'none'],
      default: 'starttls',
      visible_if: { smtp: true },
    }),
    input({ name: 'smtp_cert', type: 'string', required: true, visible_if: { smtp_tls: ['tls', 'starttls'] } }),
    input({ name: 'admin_password', type: 'password', generate: 'password:20' }),
  ];

  it('a chain: A hides B, which hides C (even when C its own condition holds)', () => {
    expect(isVisible(inputs[1]!, inputs, {})).toBe(false);
    // smtp_tls's default (starttls) would satisfy smtp_cert's condition, but smtp_tls itself is hidden.
    expect(isVisible(inputs[2]!, inputs, {})).toBe(false);
    expect(isVisible(inputs[2]!, inputs, { smtp: 'yes' })).toBe(true);
    expect(isVisible(inputs[2]!, inputs, { smtp: 'true', smtp_tls: 'none' })).toBe(false);
  });

  it('hidden inputs are neither required nor sent; given values for them are reported as ignored', () => {
    const r = resolveInputs(inputs, { smtp_cert: 'x', smtp_tls: 'tls' }, { fill: counter() });
    expect(r.issues).toEqual([]);
    expect(r.values).not.toHaveProperty('smtp_cert');
    expect(r.values).not.toHaveProperty('smtp_tls');
    expect(r.ignored).toEqual(['smtp_tls', 'smtp_cert']);
    expect(r.values.smtp).toBe('false');
  });

  it('a visible required input without a value is an issue naming it', () => {
    const r = resolveInputs(inputs, { smtp: 'true' }, { fill: counter() });
    expect(r.issues).toEqual([{ input: 'smtp_cert', message: 'is required' }]);
  });

  it('secrets are generated when empty (and only then); without a random source they count as missing', () => {
    const r = resolveInputs(inputs, {}, { fill: counter() });
    expect(r.generated).toEqual(['admin_password']);
    expect(r.values.admin_password).toMatch(/^[A-Za-z0-9]{20}$/);
    const given = resolveInputs(inputs, { admin_password: 'mine-is-long' }, { fill: counter() });
    expect(given.generated).toEqual([]);
    expect(given.values.admin_password).toBe('mine-is-long');
    const noFill = resolveInputs([input({ name: 'p', type: 'password', required: true, generate: 'hex:16' })], {});
    expect(noFill.issues).toEqual([{ input: 'p', message: 'is required' }]);
  });

  it('unknown names are refused; previous values (upgrade) fill what is not given', () => {
    expect(resolveInputs(inputs, { smpt: 'true' }).issues[0]).toMatchObject({ input: 'smpt' });
    const r = resolveInputs(inputs, {}, { previous: { admin_password: 'kept-from-install' }, fill: counter() });
    expect(r.values.admin_password).toBe('kept-from-install');
    expect(r.generated).toEqual([]);
  });

  it('generators: formats and bounds', () => {
    const fill = counter();
    expect(generateValue(parseGenerator('hex:64')!, fill)).toMatch(/^[0-9a-f]{64}$/);
    expect(generateValue(parseGenerator('uuid')!, fill)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(generateValue(parseGenerator('base64:32')!, fill)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const pw = generateValue(parseGenerator('password:32')!, fill);
    expect(pw).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(parseGenerator('password:4')).toBeNull();
    expect(parseGenerator('hex:999')).toBeNull();
    expect(parseGenerator('words:3')).toBeNull();
  });

  it('--set pairs: split at the first "=", bad names refused without echoing the value', () => {
    expect(parseSetPairs(['url=https://a/?x=1']).values).toEqual({ url: 'https://a/?x=1' });
    const bad = parseSetPairs(['S3cret-value']);
    expect(bad.issues).toHaveLength(1);
    expect(JSON.stringify(bad.issues)).not.toContain('S3cret');
  });
});
