import type { Secret } from '../secret.js';

/** An argument is plain text or a Secret (rendered as `[redacted]` in logs). */
export type Arg = string | Secret;

export interface ExecCmd {
  readonly kind: 'exec';
  readonly argv: readonly Arg[];
  /** Environment assignments prefixed to the command (`K='v' cmd`). */
  readonly env?: readonly (readonly [string, Arg])[];
}
export interface ListCmd {
  readonly kind: 'and' | 'or' | 'seq' | 'pipe';
  readonly parts: readonly Cmd[];
}
export interface RedirectCmd {
  readonly kind: 'redirect';
  readonly cmd: Cmd;
  readonly op: '>' | '>>' | '<' | '2>' | '2>>';
  readonly target: string;
}
export interface MergeStderrCmd {
  readonly kind: 'stderr-to-stdout';
  readonly cmd: Cmd;
}
export interface NotCmd {
  readonly kind: 'not';
  readonly cmd: Cmd;
}
export interface SudoCmd {
  readonly kind: 'sudo';
  readonly cmd: Cmd;
}
/** Unquoted shell text. Every use must be justified at the call site: grep `raw(`. */
export interface RawCmd {
  readonly kind: 'raw';
  readonly text: string;
}

export type Cmd = ExecCmd | ListCmd | RedirectCmd | MergeStderrCmd | NotCmd | SudoCmd | RawCmd;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function exec(...argv: Arg[]): ExecCmd {
  if (argv.length === 0) throw new Error('exec() needs a program');
  return { kind: 'exec', argv };
}

/** `K=v cmd`: environment for a single command. Names are checked, values quoted. */
export function withEnv(cmd: ExecCmd, env: Record<string, Arg>): ExecCmd {
  const pairs = Object.entries(env);
  for (const [k] of pairs) if (!ENV_NAME.test(k)) throw new Error(`invalid environment name: ${k}`);
  return { ...cmd, env: [...(cmd.env ?? []), ...pairs] };
}

const list =
  (kind: ListCmd['kind']) =>
  (...parts: Cmd[]): Cmd => {
    if (parts.length === 0) throw new Error(`${kind}() needs at least one command`);
    if (parts.length === 1) return parts[0] as Cmd;
    return { kind, parts };
  };

/** `a && b && c` */
export const and = list('and');
/** `a || b` */
export const or = list('or');
/** `a; b` (runs all, status of the last) */
export const seq = list('seq');
/** `a | b` */
export const pipe = list('pipe');

export const not = (cmd: Cmd): NotCmd => ({ kind: 'not', cmd });
export const sudo = (cmd: Cmd): SudoCmd => ({ kind: 'sudo', cmd });
export const toFile = (cmd: Cmd, path: string): RedirectCmd => ({ kind: 'redirect', cmd, op: '>', target: path });
export const appendFile = (cmd: Cmd, path: string): RedirectCmd => ({ kind: 'redirect', cmd, op: '>>', target: path });
export const fromFile = (cmd: Cmd, path: string): RedirectCmd => ({ kind: 'redirect', cmd, op: '<', target: path });
export const quietErr = (cmd: Cmd): RedirectCmd => ({ kind: 'redirect', cmd, op: '2>', target: '/dev/null' });
export const mergeStderr = (cmd: Cmd): MergeStderrCmd => ({ kind: 'stderr-to-stdout', cmd });

/** Escape hatch: shell text inserted verbatim. Only for constant text, never user data. */
export function raw(text: string): RawCmd {
  return { kind: 'raw', text };
}
