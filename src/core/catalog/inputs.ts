// Validation of the values given for a catalog entry's inputs: one implementation for the CLI, the API and
// the dashboard's generated form (which imports this file), so every entry point says the same thing.
// Values are strings (they become environment variables); each type normalises its own (`8080`, `true`).
import { type CatalogInput, type Generator, generateValue, parseGenerator, type RandomFill } from './input-types.js';

const LABEL = '(?!-)[a-z0-9-]{1,63}(?<!-)';
const DOMAIN_RE = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})+$`);
// Deliberately simple (WHATWG's input[type=email] rule): one @, no spaces, a dotted domain.
const EMAIL_RE =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const TRUE = new Set(['true', 'yes', 'on', '1']);
const FALSE = new Set(['false', 'no', 'off', '0']);

export type CheckResult = { ok: true; value: string } | { ok: false; message: string };

const fail = (message: string): CheckResult => ({ ok: false, message });

function checkRange(n: number, input: CatalogInput): CheckResult | null {
  if (input.min !== undefined && n < input.min) return fail(`must be at least ${input.min}`);
  if (input.max !== undefined && n > input.max) return fail(`must be at most ${input.max}`);
  return null;
}

function checkLength(v: string, input: CatalogInput): CheckResult | null {
  const len = [...v].length;
  if (input.min_length !== undefined && len < input.min_length)
    return fail(`must be at least ${input.min_length} characters`);
  if (input.max_length !== undefined && len > input.max_length)
    return fail(`must be at most ${input.max_length} characters`);
  return null;
}

/** Type rules of one non-empty value: the normalised value, or the message for people. */
function checkTyped(input: CatalogInput, v: string): CheckResult {
  switch (input.type) {
    case 'integer': {
      if (!/^-?\d{1,15}$/.test(v)) return fail('must be a whole number');
      const n = Number(v);
      return checkRange(n, input) ?? { ok: true, value: String(n) };
    }
    case 'port': {
      if (!/^\d{1,5}$/.test(v) || Number(v) < 1 || Number(v) > 65535) return fail('must be between 1 and 65535');
      const n = Number(v);
      return checkRange(n, input) ?? { ok: true, value: String(n) };
    }
    case 'boolean': {
      const l = v.toLowerCase();
      if (TRUE.has(l)) return { ok: true, value: 'true' };
      if (FALSE.has(l)) return { ok: true, value: 'false' };
      return fail('must be true or false');
    }
    case 'email':
      return EMAIL_RE.test(v) && v.length <= 254
        ? { ok: true, value: v }
        : fail('must be an email address such as admin@example.com');
    case 'domain': {
      const d = v.toLowerCase();
      return DOMAIN_RE.test(d)
        ? { ok: true, value: d }
        : fail('must be a fully qualified host name such as app.example.com');
    }
    case 'url': {
      try {
        const u = new URL(v);
        if ((u.protocol === 'http:' || u.protocol === 'https:') && u.hostname && v.length <= 2048)
          return { ok: true, value: v };
      } catch {
        // not a URL: the message below
      }
      return fail('must be an http:// or https:// URL');
    }
    case 'select':
    case 'string':
    case 'password':
      return { ok: true, value: v };
  }
}

/**
 * Checks one given value against its input's rules. Empty means "not given": the caller decides between
 * default, generator and "is required".
 */
export function checkInputValue(input: CatalogInput, raw: string): CheckResult {
  const v = input.type === 'password' ? raw : raw.trim();
  if (/[\r\n\0]/.test(v)) return fail('must be a single line of text');
  if (v === '') return input.required ? fail('is required') : { ok: true, value: '' };
  const typed = checkTyped(input, v);
  if (!typed.ok) return typed;
  const value = typed.value;
  if (input.allowed_values && input.type !== 'boolean' && !input.allowed_values.includes(value)) {
    return fail(`must be one of: ${input.allowed_values.join(', ')}`);
  }
  const len = checkLength(value, input);
  if (len) return len;
  if (input.pattern && !new RegExp(`^(?:${input.pattern})$`, 'u').test(value)) {
    return fail(input.pattern_message ?? `must match ${input.pattern}`);
  }
  return { ok: true, value };
}

/** The value a condition sees: the given one (normalised) or the default. */
function effective(input: CatalogInput, given: Readonly<Record<string, string>>): string {
  const raw = given[input.name];
  if (raw !== undefined && raw.trim() !== '') {
    const r = checkInputValue(input, raw);
    return r.ok ? r.value : raw.trim();
  }
  return input.default ?? '';
}

/**
 * Whether an input is shown/asked/sent: every `visible_if` condition holds, and the inputs it depends on are
 * visible themselves (a chain A → B → C hides C when A hides B). Cycles are refused by the manifest schema;
 * `seen` only guards against a malformed list.
 */
export function isVisible(
  input: CatalogInput,
  inputs: readonly CatalogInput[],
  given: Readonly<Record<string, string>>,
  seen: ReadonlySet<string> = new Set(),
): boolean {
  if (!input.visible_if) return true;
  if (seen.has(input.name)) return false;
  const next = new Set([...seen, input.name]);
  for (const [name, want] of Object.entries(input.visible_if)) {
    const other = inputs.find((i) => i.name === name);
    if (!other || !isVisible(other, inputs, given, next)) return false;
    const value = effective(other, given);
    const wanted = typeof want === 'string' ? [want] : want;
    if (!wanted.includes(value)) return false;
  }
  return true;
}

export interface InputIssue {
  readonly input: string;
  readonly message: string;
}

export interface ResolvedInputs {
  /** Values of the visible inputs, by input name (optional ones left empty are absent). */
  readonly values: Record<string, string>;
  /** Inputs whose value was generated now (show them once). */
  readonly generated: readonly string[];
  /** Given values of inputs that are hidden by `visible_if`: not used and not sent. */
  readonly ignored: readonly string[];
  readonly issues: readonly InputIssue[];
}

export interface ResolveOptions {
  /** Secure random source; without it inputs with a generator and no value are reported as required. */
  readonly fill?: RandomFill;
  /** Values kept from a previous install (upgrade): used when nothing new is given. */
  readonly previous?: Readonly<Record<string, string>>;
}

/**
 * Turns given values into the values an install uses: unknown names are refused, hidden inputs dropped,
 * defaults applied, secrets generated, every rule checked. Pure: randomness comes from `opts.fill`.
 */
export function resolveInputs(
  inputs: readonly CatalogInput[],
  given: Readonly<Record<string, string>>,
  opts: ResolveOptions = {},
): ResolvedInputs {
  const issues: InputIssue[] = [];
  const known = new Set(inputs.map((i) => i.name));
  for (const name of Object.keys(given)) {
    if (!known.has(name)) {
      const hint = inputs.length ? ` (inputs: ${inputs.map((i) => i.name).join(', ')})` : ' (this entry has no inputs)';
      issues.push({ input: name, message: `unknown input${hint}` });
    }
  }
  // Conditions see given values first, then previous ones, then defaults.
  const seen: Record<string, string> = { ...(opts.previous ?? {}), ...given };
  const values: Record<string, string> = {};
  const generated: string[] = [];
  const ignored: string[] = [];
  for (const input of inputs) {
    if (!isVisible(input, inputs, seen)) {
      if (given[input.name] !== undefined && given[input.name] !== '') ignored.push(input.name);
      continue;
    }
    let raw = given[input.name] ?? '';
    if (raw.trim() === '' && opts.previous?.[input.name] !== undefined) raw = opts.previous[input.name] ?? '';
    if (raw.trim() === '' && input.default !== undefined) raw = input.default;
    if (raw.trim() === '' && input.generate && opts.fill) {
      const g = parseGenerator(input.generate) as Generator;
      raw = generateValue(g, opts.fill);
      generated.push(input.name);
    }
    const r = checkInputValue(input, raw);
    if (!r.ok) issues.push({ input: input.name, message: r.message });
    else if (r.value !== '') values[input.name] = r.value;
  }
  return { values, generated, ignored, issues };
}

/** Parses `k=v` pairs (split at the first `=`) into given values; the value is never echoed in errors. */
export function parseSetPairs(pairs: readonly string[]): { values: Record<string, string>; issues: InputIssue[] } {
  const values: Record<string, string> = {};
  const issues: InputIssue[] = [];
  for (const [i, pair] of pairs.entries()) {
    const eq = pair.indexOf('=');
    const name = eq > 0 ? pair.slice(0, eq) : '';
    if (!/^[a-z][a-z0-9_]{0,62}$/.test(name)) {
      issues.push({ input: `#${i + 1}`, message: 'expected name=value with a lower-case input name' });
      continue;
    }
    values[name] = pair.slice(eq + 1);
  }
  return { values, issues };
}
