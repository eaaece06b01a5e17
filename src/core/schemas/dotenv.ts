import { validation } from '../errors.js';
import { envKeySchema, envValueSchema } from './common.js';
import type { EnvPair } from './env.js';

/** A dotenv file larger than this is refused before parsing (the whole env of an app is capped at 1 MiB). */
export const MAX_DOTENV_BYTES = 2 * 1024 * 1024;

const KEY_RE = /^(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*/;
// Values written without quotes on export: nothing a dotenv reader could trim, split, expand or comment out.
const BARE_VALUE_RE = /^[A-Za-z0-9_./:@+,%=^~-]*$/;
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '\\': '\\', '"': '"', $: '$', '`': '`' };

/**
 * Parses a dotenv file: `KEY=value`, `export KEY=value`, `#` comments and blank lines; values bare (trimmed,
 * ` #…` is a comment), 'single-quoted' (literal) or "double-quoted" (escapes \n \r \t \\ \" \$ \`, other
 * backslashes kept), both quoted forms may span lines. Nothing is interpolated: `$X` stays as written, as with
 * `env set`. All pairs are checked before any is returned; errors name the line, never a value.
 */
export function parseDotenv(text: string): EnvPair[] {
  if (new TextEncoder().encode(text).length > MAX_DOTENV_BYTES) {
    throw validation(`the file is larger than ${MAX_DOTENV_BYTES / 1024 / 1024} MiB`);
  }
  const src = text.startsWith('\ufeff') ? text.slice(1) : text;
  const pairs: EnvPair[] = [];
  const lineOf = new Map<string, number>();
  let pos = 0;
  let line = 1;
  while (pos < src.length) {
    const end = lineEnd(src, pos);
    const raw = src.slice(pos, end).replace(/\r$/, '');
    const trimmed = raw.trim();
    const startLine = line;
    if (trimmed === '' || trimmed.startsWith('#')) {
      pos = end + 1;
      line++;
      continue;
    }
    const lead = raw.length - raw.trimStart().length;
    const m = KEY_RE.exec(raw.slice(lead));
    if (!m) throw badLine(startLine, raw.slice(lead));
    const key = m[1] as string;
    const valueStart = pos + lead + m[0].length;
    const read = readValue(src, valueStart, startLine);
    line += countNewlines(src, pos, read.next);
    pos = read.next;
    const keyOk = envKeySchema.safeParse(key);
    if (!keyOk.success) throw validation(`line ${startLine}: invalid variable name '${key}'`);
    const valueOk = envValueSchema.safeParse(read.value);
    if (!valueOk.success) {
      throw validation(`line ${startLine}: invalid value for ${key}: ${valueOk.error.issues[0]?.message ?? 'invalid'}`);
    }
    const seen = lineOf.get(key);
    if (seen !== undefined) {
      throw validation(`line ${startLine}: ${key} is already set on line ${seen}`, 'keep one line per variable');
    }
    lineOf.set(key, startLine);
    pairs.push({ key, value: read.value });
  }
  return pairs;
}

/** Writes pairs as a dotenv file that `parseDotenv` (and compose's env_file) reads back byte for byte. */
export function formatDotenv(pairs: readonly EnvPair[], header?: string): string {
  const head = header ? `${header.replace(/^/gm, '# ')}\n` : '';
  return head + pairs.map(({ key, value }) => `${key}=${quoteValue(value)}\n`).join('');
}

function quoteValue(value: string): string {
  if (BARE_VALUE_RE.test(value)) return value;
  const escaped = value.replace(/[\\"$`\n\r]/g, (ch) => {
    if (ch === '\n') return '\\n';
    if (ch === '\r') return '\\r';
    return `\\${ch}`;
  });
  return `"${escaped}"`;
}

function lineEnd(src: string, from: number): number {
  const i = src.indexOf('\n', from);
  return i === -1 ? src.length : i;
}

function countNewlines(src: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to && i < src.length; i++) if (src[i] === '\n') n++;
  return n;
}

/** Reads one value from `start`; `next` is the index after its line's end. */
function readValue(src: string, start: number, line: number): { value: string; next: number } {
  const quote = src[start];
  if (quote === '"' || quote === "'") {
    let value = '';
    let i = start + 1;
    for (; i < src.length && src[i] !== quote; i++) {
      const ch = src[i] as string;
      if (quote === '"' && ch === '\\' && i + 1 < src.length) {
        const next = src[i + 1] as string;
        const mapped = ESCAPES[next];
        value += mapped ?? `\\${next}`;
        i++;
      } else {
        value += ch;
      }
    }
    if (i >= src.length) {
      throw validation(`line ${line}: the ${quote === '"' ? 'double' : 'single'} quote is never closed`);
    }
    const end = lineEnd(src, i + 1);
    const rest = src.slice(i + 1, end).trim();
    if (rest !== '' && !rest.startsWith('#')) {
      throw validation(`line ${line}: unexpected text after the closing quote`, 'put a comment after " #"');
    }
    return { value, next: end + 1 };
  }
  const end = lineEnd(src, start);
  const bare = src
    .slice(start, end)
    .replace(/(^|[ \t])#.*$/, '')
    .trim();
  return { value: bare, next: end + 1 };
}

function badLine(line: number, text: string): Error {
  // A line without KEY= may be a pasted secret: say what is wrong, never what it holds.
  const named = /^(?:export[ \t]+)?([A-Za-z0-9_-]{1,64})[ \t]*=/.exec(text);
  if (named) return validation(`line ${line}: invalid variable name '${named[1]}'`, NAME_HINT);
  return validation(`line ${line}: expected KEY=VALUE`, 'write each variable as KEY=VALUE; comments start with #');
}

const NAME_HINT = 'names start with a letter or "_", contain only letters, digits and "_"';
