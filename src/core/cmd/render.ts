import { isSecret, REDACTED } from '../secret.js';
import type { Arg, Cmd } from './cmd.js';

export interface RenderOptions {
  /** Replace every Secret with `[redacted]` (for anything logged or shown). */
  readonly redact?: boolean;
}

// Words made only of these characters mean the same quoted or not in POSIX sh.
const SAFE_WORD = /^[A-Za-z0-9_@%+:,./-]+$/;

// POSIX reserved words: only special as the first word of a command.
const RESERVED = new Set([
  'case',
  'do',
  'done',
  'elif',
  'else',
  'esac',
  'fi',
  'for',
  'if',
  'in',
  'then',
  'until',
  'while',
]);

/** POSIX single-quote quoting: 'it'\''s' — the only character that needs care is `'`. */
export function quote(s: string): string {
  if (SAFE_WORD.test(s)) return s;
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

function arg(a: Arg, opts: RenderOptions): string {
  if (isSecret(a)) return opts.redact ? REDACTED : quote(a.reveal());
  return quote(a);
}

type Parent = 'and' | 'or' | 'seq' | 'pipe' | 'atom';

// When a child must be wrapped in `{ ...; }` to keep its meaning inside its parent.
function needsGroup(child: Cmd, parent: Parent): boolean {
  if (child.kind === 'exec' || child.kind === 'sudo') return false;
  if (child.kind === 'raw' || parent === 'atom') return true;
  if (parent === 'pipe') return child.kind !== 'pipe' && child.kind !== 'redirect' && child.kind !== 'stderr-to-stdout';
  if (child.kind === 'and' || child.kind === 'or' || child.kind === 'seq') return child.kind !== parent;
  return false;
}

function group(child: Cmd, parent: Parent, opts: RenderOptions): string {
  const text = render(child, opts);
  return needsGroup(child, parent) ? `{ ${text}; }` : text;
}

/** Turns a Cmd into one POSIX shell string. */
export function render(cmd: Cmd, opts: RenderOptions = {}): string {
  switch (cmd.kind) {
    case 'exec': {
      const env = (cmd.env ?? []).map(([k, v]) => `${k}=${arg(v, opts)}`);
      // The first word is the program: a reserved word there (`if`, `while`…) would change how the line
      // parses, so it is force-quoted. (A word with `=`, read as an assignment, is quoted by quote() already —
      // `=` is not a SAFE_WORD character; quoting it by hand without escaping `'` was an injection.)
      const [first, ...rest] = cmd.argv;
      const head =
        first === undefined ? [] : [typeof first === 'string' && RESERVED.has(first) ? `'${first}'` : arg(first, opts)];
      return [...env, ...head, ...rest.map((a) => arg(a, opts))].join(' ');
    }
    case 'and':
      return cmd.parts.map((p) => group(p, 'and', opts)).join(' && ');
    case 'or':
      return cmd.parts.map((p) => group(p, 'or', opts)).join(' || ');
    case 'seq':
      return cmd.parts.map((p) => group(p, 'seq', opts)).join('; ');
    case 'pipe':
      return cmd.parts.map((p) => group(p, 'pipe', opts)).join(' | ');
    case 'redirect':
      return `${group(cmd.cmd, 'atom', opts)} ${cmd.op} ${quote(cmd.target)}`;
    case 'stderr-to-stdout':
      return `${group(cmd.cmd, 'atom', opts)} 2>&1`;
    case 'not':
      return `! ${group(cmd.cmd, 'atom', opts)}`;
    case 'sudo':
      return `sudo -n sh -c ${quote(render(cmd.cmd, opts))}`;
    case 'raw':
      return cmd.text;
  }
}

/** The secrets a command carries (so executors can scrub them from echoed output). */
export function secretsOf(cmd: Cmd): Arg[] {
  switch (cmd.kind) {
    case 'exec':
      return [...cmd.argv, ...(cmd.env ?? []).map(([, v]) => v)].filter(isSecret);
    case 'and':
    case 'or':
    case 'seq':
    case 'pipe':
      return cmd.parts.flatMap(secretsOf);
    case 'redirect':
    case 'stderr-to-stdout':
    case 'not':
    case 'sudo':
      return secretsOf(cmd.cmd);
    case 'raw':
      return [];
  }
}
