import { stringify } from 'yaml';
import { validation } from '../errors.js';

/**
 * How an app's variables reach its containers, byte for byte, with compose v1 and v2 alike.
 *
 * Not through a `.env` file: the two flavours parse those differently and neither can carry every value
 * (v1's python-dotenv expands `${X}` even in single quotes and has no escape for it; v2 cannot end a quoted
 * value with a backslash; a multi-line value breaks either). Instead the values go into the release's compose
 * file as `environment:` entries, written as double-quoted YAML scalars that escape everything but printable
 * text (both PyYAML and go-yaml read those escapes the same way), with `$` doubled so compose's own
 * interpolation gives back a literal `$`. The file is written 0600 inside the app's 0700 directory.
 *
 * `${VAR}` references to the app's variables in a user's compose file are resolved here, with compose's
 * grammar (`${V}`, `$V`, `${V:-d}`, `${V-d}`, `${V:?e}`, `${V?e}`, `${V:+r}`, `${V+r}`), since compose no
 * longer reads them from an env file; references to anything else are left for compose.
 */

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Compose reads `$$` as a literal `$`: a value must never be interpolated again. */
export const composeLiteral = (value: string): string => value.replaceAll('$', () => '$$');

/** A YAML 1.1 and 1.2 double-quoted scalar: printable ASCII and printable non-ASCII as is, the rest escaped. */
export function yamlDoubleQuoted(text: string): string {
  let out = '"';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (cp >= 0x20 && cp <= 0x7e) out += ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (cp <= 0xff && !(cp >= 0xa0)) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (printableNonAscii(cp)) out += ch;
    else if (cp <= 0xffff) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

// PyYAML's printable set, minus line/paragraph separators and the BOM (read as line breaks or stripped).
const printableNonAscii = (cp: number) =>
  (cp >= 0xa0 && cp <= 0xd7ff && cp !== 0x2028 && cp !== 0x2029) ||
  (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff) ||
  (cp >= 0x10000 && cp <= 0x10ffff);

/**
 * YAML for a compose document with every string value written by yamlDoubleQuoted: always a string for both
 * YAML 1.1 (compose v1) and 1.2 (v2), whatever it contains (`on`, `0777`, newlines, control characters).
 */
export function toComposeYaml(doc: unknown): string {
  const strings: string[] = [];
  // The tokens must not occur anywhere in the document.
  const json = JSON.stringify(doc);
  let salt = 0;
  while (json.includes(`ikt${salt}q`)) salt++;
  const token = (i: number) => `ikt${salt}q${i}z`;
  const swap = (v: unknown): unknown => {
    if (typeof v === 'string') {
      strings.push(v);
      return token(strings.length - 1);
    }
    if (Array.isArray(v)) return v.map(swap);
    if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, swap(x)]));
    return v;
  };
  let text = stringify(swap(doc), { lineWidth: 0 });
  for (let i = 0; i < strings.length; i++) text = text.replace(token(i), () => yamlDoubleQuoted(strings[i]!));
  return text;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Index of the `}` closing the `${` at `start` (nested `${…}` in defaults count), or -1. */
function closing(s: string, start: number): number {
  let depth = 0;
  for (let i = start; i < s.length; i++) {
    if (s[i] === '$' && s[i + 1] === '$') i++;
    else if (s[i] === '$' && s[i + 1] === '{') {
      depth++;
      i++;
    } else if (s[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/** Resolves references to `env` in one compose string; everything else is left for compose. */
export function interpolate(s: string, env: ReadonlyMap<string, string>): string {
  let out = '';
  for (let i = 0; i < s.length; ) {
    if (s[i] !== '$') {
      out += s[i++];
      continue;
    }
    if (s[i + 1] === '$') {
      out += '$$';
      i += 2;
      continue;
    }
    if (s[i + 1] === '{') {
      const end = closing(s, i);
      const inner = end < 0 ? '' : s.slice(i + 2, end);
      const name = inner.match(NAME)?.[0];
      if (end < 0 || !name || !env.has(name)) {
        const upto = end < 0 ? s.length : end + 1;
        out += s.slice(i, upto);
        i = upto;
        continue;
      }
      out += resolveBraced(name, inner.slice(name.length), env.get(name)!, env);
      i = end + 1;
      continue;
    }
    const name = s.slice(i + 1).match(NAME)?.[0];
    if (name && env.has(name)) out += composeLiteral(env.get(name)!);
    else out += name ? `$${name}` : '$';
    i += 1 + (name?.length ?? 0);
  }
  return out;
}

function resolveBraced(name: string, rest: string, value: string, env: ReadonlyMap<string, string>): string {
  const op = rest.match(/^(:?[-?+])?/)?.[0] ?? '';
  const arg = rest.slice(op.length);
  if (op === '' && arg !== '') return `\${${name}${rest}}`; // not compose syntax: leave it to compose
  switch (op) {
    case '':
    case '-':
    case '?':
      return composeLiteral(value);
    case ':-':
      return value ? composeLiteral(value) : interpolate(arg, env);
    case ':?':
      if (!value) throw validation(`variable ${name} is empty: ${arg || 'required by the compose file'}`);
      return composeLiteral(value);
    case ':+':
      return value ? interpolate(arg, env) : '';
    default: // '+'
      return interpolate(arg, env);
  }
}

/** Every string of a compose document with the app's variables resolved. */
export function interpolateDoc<T>(doc: T, env: ReadonlyMap<string, string>): T {
  if (env.size === 0) return doc;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return interpolate(v, env);
    if (Array.isArray(v)) return v.map(walk);
    if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(doc) as T;
}

/**
 * The routed service's `environment:` as a map: the user's own entries win (as they did over env files),
 * a bare `NAME` (pass-through) takes the app's value, and every other app variable is added.
 */
export function mergeEnvironment(user: unknown, env: ReadonlyMap<string, string>): Obj {
  const out: Obj = {};
  if (Array.isArray(user)) {
    for (const entry of user) {
      const e = String(entry);
      const eq = e.indexOf('=');
      if (eq < 0) out[e] = null;
      else out[e.slice(0, eq)] = e.slice(eq + 1);
    }
  } else if (isObj(user)) Object.assign(out, user);
  for (const [k, v] of Object.entries(out)) {
    if ((v === null || v === undefined) && env.has(k)) out[k] = composeLiteral(env.get(k)!);
  }
  for (const [k, v] of env) if (!(k in out)) out[k] = composeLiteral(v);
  return out;
}
