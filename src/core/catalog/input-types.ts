// The shapes of catalog inputs, shared by the manifest schema (server) and the generated form (dashboard).
// Pure and dependency-free: the dashboard imports this module and inputs.ts to validate with the same rules.

export const INPUT_TYPES = [
  'string',
  'integer',
  'boolean',
  'password',
  'select',
  'email',
  'port',
  'domain',
  'url',
] as const;
export type InputType = (typeof INPUT_TYPES)[number];

/** `password:32` (letters and digits), `hex:64` (characters), `base64:32` (bytes, URL-safe), `uuid`. */
export type Generator =
  | { readonly kind: 'password'; readonly length: number }
  | { readonly kind: 'hex'; readonly length: number }
  | { readonly kind: 'base64'; readonly bytes: number }
  | { readonly kind: 'uuid' };

export type InputScalar = string | number | boolean;

/** One input of a manifest, after parsing (defaults applied, `env` filled in). */
export interface CatalogInput {
  readonly name: string;
  readonly type: InputType;
  readonly label: string;
  readonly help?: string | undefined;
  readonly placeholder?: string | undefined;
  readonly required: boolean;
  readonly default?: string | undefined;
  /** The environment variable the value is passed as (compose interpolation, host script env). */
  readonly env: string;
  /** Never shown back, never logged; `password` inputs are always secret. */
  readonly secret: boolean;
  readonly pattern?: string | undefined;
  /** Message shown when `pattern` does not match (default: "must match <pattern>"). */
  readonly pattern_message?: string | undefined;
  readonly min?: number | undefined;
  readonly max?: number | undefined;
  readonly min_length?: number | undefined;
  readonly max_length?: number | undefined;
  readonly allowed_values?: readonly string[] | undefined;
  /** Shown only when every named input has the given value (or one of the given values). */
  readonly visible_if?: Readonly<Record<string, string | readonly string[]>> | undefined;
  readonly generate?: string | undefined;
  /** How a boolean is written into the environment (`1/0` for tools that want digits). */
  readonly boolean_format?: 'true/false' | '1/0' | 'yes/no' | undefined;
}

const GENERATOR_RE = /^(?:(password|hex|base64):(\d{1,3})|(uuid))$/;

export const GENERATOR_LIMITS = {
  password: [12, 128],
  hex: [16, 256],
  base64: [16, 96],
} as const;

/** Parses a `generate:` spec; null when it is not one. */
export function parseGenerator(spec: string): Generator | null {
  const m = GENERATOR_RE.exec(spec);
  if (!m) return null;
  if (m[3]) return { kind: 'uuid' };
  const kind = m[1] as 'password' | 'hex' | 'base64';
  const n = Number(m[2]);
  const [lo, hi] = GENERATOR_LIMITS[kind];
  if (n < lo || n > hi) return null;
  return kind === 'base64' ? { kind, bytes: n } : { kind, length: n };
}

/** Fills a buffer with cryptographically secure random bytes (node: crypto.randomFillSync; browser: crypto.getRandomValues). */
export type RandomFill = (bytes: Uint8Array) => Uint8Array;

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Uniform characters from an alphabet by rejection sampling (no modulo bias). */
function pick(alphabet: string, length: number, fill: RandomFill): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < length) {
    for (const b of fill(new Uint8Array(length * 2))) {
      if (b < limit) out += alphabet[b % alphabet.length];
      if (out.length === length) break;
    }
  }
  return out;
}

/** A fresh value from a generator. Letters and digits only for passwords: safe in URLs, env files and YAML. */
export function generateValue(g: Generator, fill: RandomFill): string {
  switch (g.kind) {
    case 'password':
      return pick(ALNUM, g.length, fill);
    case 'hex':
      return pick('0123456789abcdef', g.length, fill);
    case 'base64': {
      const bytes = fill(new Uint8Array(g.bytes));
      let bin = '';
      for (const b of bytes) bin += String.fromCharCode(b);
      return btoa(bin).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
    }
    case 'uuid': {
      const b = fill(new Uint8Array(16));
      b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
      b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
      const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
  }
}
