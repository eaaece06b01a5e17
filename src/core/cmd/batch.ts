import { and, type Cmd, exec, fromFile, raw, seq } from './cmd.js';
import { quote, render, secretsOf } from './render.js';

/** One command of a batch, named so its result can be found again. */
export interface BatchPart {
  /** `[a-z0-9-]+`, unique in the batch. */
  readonly name: string;
  readonly cmd: Cmd;
  /** This part reads the batch's stdin (at most one may); every other part reads /dev/null. */
  readonly stdin?: boolean;
  /**
   * The name of an earlier part: this one runs only if that one exited 0 (a chain: write, then start, then
   * wait), else it is skipped and absent from the results.
   */
  readonly after?: string;
  /**
   * Starts with the script, beside the parts before it (its output kept in a temp file until its turn): for slow
   * independent reads (a `docker` listing). Reads no stdin and follows no part. Where no temp dir can be made it
   * runs at its turn like any part.
   */
  readonly concurrent?: boolean;
}

export interface BatchResult {
  readonly exitCode: number;
  readonly stdout: string;
}

const NAME = /^[a-z0-9-]{1,40}$/;
const NONCE = /^[a-f0-9]{16,64}$/;

/**
 * Independent commands in one script, so that they cost one round trip instead of one each. Each part runs
 * in a `sh -c` of its own (an `exit` in it ends only that part) and its stdout is framed by lines carrying
 * `nonce`, a random value the caller makes per run, so no output can fake a frame; stderr goes to the
 * script's stderr. Every part runs, whatever the others' status; `parseBatch` gives each one's exit code and
 * stdout. Parts carrying secrets are refused: a part's text becomes an argument of its `sh -c`.
 */
export function batch(parts: readonly BatchPart[], nonce: string): Cmd {
  if (!NONCE.test(nonce)) throw new Error('batch(): the nonce must be 16-64 lowercase hex digits');
  if (parts.filter((p) => p.stdin).length > 1) throw new Error('batch(): at most one part may read stdin');
  const index = new Map<string, number>();
  // Parts that a later part runs after keep their status in a variable of the script (`__s<index>`).
  const kept = new Set(parts.flatMap((p) => (p.after === undefined ? [] : [p.after])));
  for (const p of parts) {
    if (p.concurrent && (p.stdin || p.after !== undefined))
      throw new Error(`batch(): concurrent part '${p.name}' may neither read stdin nor follow another part`);
    if (secretsOf(p.cmd).length > 0) throw new Error(`batch(): part '${p.name}' carries a secret`);
  }
  const concurrent = parts.flatMap((p, i) => (p.concurrent ? [i] : []));
  // raw: the temp dir's name and the background jobs' pids live in variables of the script (names from indexes).
  const start: Cmd[] =
    concurrent.length === 0
      ? []
      : [
          raw('__bd=$(mktemp -d 2>/dev/null) || __bd='),
          ...concurrent.map((i) =>
            raw(
              `if [ -n "$__bd" ]; then { sh -c ${quote(render(parts[i]!.cmd))} < /dev/null > "$__bd/o${i}"; echo "$?" > "$__bd/s${i}"; } & __p${i}=$!; fi`,
            ),
          ),
        ];
  const cleanup: Cmd[] = concurrent.length === 0 ? [] : [raw('[ -n "$__bd" ] && rm -rf "$__bd"; :')];
  return seq(
    ...start,
    ...parts.flatMap((p, i): Cmd[] => {
      if (!NAME.test(p.name) || index.has(p.name)) throw new Error(`batch(): bad or repeated part name '${p.name}'`);
      if (p.after !== undefined && !index.has(p.after))
        throw new Error(`batch(): part '${p.name}' runs after '${p.after}', which is not an earlier part`);
      index.set(p.name, i);
      if (p.concurrent) {
        // Its output and status as the background job left them (or the part itself, without a temp dir).
        const status = `\${__c${i}:-255}`;
        return [
          exec('printf', '%s\\n', `${nonce}:begin:${p.name}`),
          raw(
            `if [ -n "$__bd" ]; then wait "$__p${i}"; cat "$__bd/o${i}"; __c${i}=$(cat "$__bd/s${i}" 2>/dev/null); else sh -c ${quote(render(p.cmd))} < /dev/null; __c${i}=$?; fi`,
          ),
          raw(`${kept.has(p.name) ? `__s${i}=${status}; ` : ''}printf '\\n%s:end:%s\\n' ${quote(nonce)} "${status}"`),
        ];
      }
      const run = exec('sh', '-c', render(p.cmd));
      // raw: `"$?"` must reach the shell unquoted (the status of the part just run); the nonce is checked hex.
      const end = kept.has(p.name)
        ? raw(`__s${i}=$?; printf '\\n%s:end:%s\\n' ${quote(nonce)} "$__s${i}"`)
        : raw(`printf '\\n%s:end:%s\\n' ${quote(nonce)} "$?"`);
      const framed = [
        exec('printf', '%s\\n', `${nonce}:begin:${p.name}`),
        p.stdin ? run : fromFile(run, '/dev/null'),
        end,
      ];
      if (p.after === undefined) return framed;
      // raw: a test of the status variable kept above (its name is built from an index).
      return [and(raw(`[ "$__s${index.get(p.after)}" = 0 ]`), seq(...framed))];
    }),
    ...cleanup,
  );
}

/** Each part's exit code and stdout, by name; a part whose frame is missing or cut (the script died) is absent. */
export function parseBatch(stdout: string, nonce: string): Map<string, BatchResult> {
  const out = new Map<string, BatchResult>();
  const begin = `${nonce}:begin:`;
  const end = `\n${nonce}:end:`;
  let at = 0;
  for (;;) {
    const b = stdout.indexOf(begin, at);
    if (b < 0) break;
    const nameEnd = stdout.indexOf('\n', b);
    if (nameEnd < 0) break;
    const name = stdout.slice(b + begin.length, nameEnd);
    const e = stdout.indexOf(end, nameEnd);
    if (e < 0) break;
    const codeEnd = stdout.indexOf('\n', e + end.length);
    const code = Number(stdout.slice(e + end.length, codeEnd < 0 ? undefined : codeEnd));
    if (codeEnd < 0 || !Number.isInteger(code)) break;
    out.set(name, { exitCode: code, stdout: stdout.slice(nameEnd + 1, e) });
    at = codeEnd + 1;
  }
  return out;
}
