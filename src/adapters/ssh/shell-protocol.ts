import { quote } from '../../core/cmd/index.js';

/**
 * The wire protocol of the persistent remote shell (see remote-shell.ts).
 *
 * The channel runs `exec /bin/sh` (the account's login shell starts once, then becomes a plain POSIX
 * sh reading its program from the channel's stdin; no pty, no login shell). The first thing sent is
 * the preamble: the session nonce in an unexported variable, so it is in no argv and no environment a
 * command could print, and one function that runs a request. Each request is one line calling it:
 *
 *   __ikt <id> '<script>' ['<stdin as a printf format>']
 *
 * The function prints a begin marker on stdout and stderr, starts the script as `/bin/sh -c` under
 * `setsid` in the background (its own session, so its pid is its process group: a timeout or cancel
 * kills exactly that command and everything it started), prints the group id, waits for it and
 * prints an end marker with the exit status on both streams. Its stdin is /dev/null, or the payload
 * written into a pipe by the shell's builtin printf (never an argv: secrets stay off process lists).
 * The payload travels as a printf format because the shell parses requests, and a shell word
 * cannot hold NUL bytes; octal escapes carry any byte (POSIX printf, a builtin in dash, bash, ash).
 */
export const SHELL_PROGRAM = 'exec /bin/sh';

/** Marker kinds, see frame-parser.ts. */
export const HELLO = 'H';
export const BEGIN = 'B';
export const PGID = 'P';
export const END = 'E';

export function preamble(nonce: string): string {
  if (!/^[0-9a-f]{32}$/.test(nonce)) throw new Error('the nonce must be 32 hex digits');
  // `wait … 2>/dev/null`: dash reports "Terminated" for a killed job on the shell's stderr, which
  // would land in the command's stderr. `$#` tells an empty payload (empty stdin) from none.
  return [
    `N=${nonce}`,
    '__ikt() {',
    `  printf '%s${BEGIN}%s\\n' "$N" "$1"; printf '%s${BEGIN}%s\\n' "$N" "$1" >&2`,
    '  if [ "$#" -ge 3 ]; then printf "$3" | setsid /bin/sh -c "$2" &',
    '  else setsid /bin/sh -c "$2" </dev/null &',
    '  fi',
    '  __p=$!',
    `  printf '%s${PGID}%s %s\\n' "$N" "$1" "$__p"`,
    '  wait "$__p" 2>/dev/null; __s=$?',
    `  printf '%s${END}%s %s\\n' "$N" "$1" "$__s" >&2; printf '%s${END}%s %s\\n' "$N" "$1" "$__s"`,
    '}',
    `printf '%s${HELLO}%s\\n' "$N" "$$"`,
    '',
  ].join('\n');
}

export function request(id: number, script: string, stdin?: Uint8Array): string {
  const args = [String(Math.trunc(id)), quote(script), ...(stdin ? [quote(printfFormat(stdin))] : [])];
  return `__ikt ${args.join(' ')}\n`;
}

/**
 * Bytes as a printf format that prints exactly them: printable ASCII and newlines as they are
 * (text stays about its own size), `%` doubled, everything else (NUL, `\`, `'`, control and
 * non-ASCII bytes, and a leading `-`) as a three-digit octal escape.
 */
export function printfFormat(bytes: Uint8Array): string {
  const parts: string[] = [];
  let plain = 0; // length of the run of bytes that stand for themselves, ending before i
  const flush = (end: number) => {
    if (plain > 0) parts.push(Buffer.from(bytes.subarray(end - plain, end)).toString('latin1'));
    plain = 0;
  };
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    // A leading '-' is escaped too: printf would read the format as an option (a PEM key starts with -----).
    const leadingDash = i === 0 && b === 0x2d;
    if (!leadingDash && (b === 0x0a || (b >= 0x20 && b < 0x7f && b !== 0x25 && b !== 0x5c && b !== 0x27))) {
      plain++;
      continue;
    }
    flush(i);
    parts.push(b === 0x25 ? '%%' : `\\${b.toString(8).padStart(3, '0')}`);
  }
  flush(bytes.length);
  return parts.join('');
}
