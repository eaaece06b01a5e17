import { createInterface } from 'node:readline/promises';
import type { ZodType } from 'zod';
import { InfraktError } from '../core/errors.js';

/** A value a command needs: asked for on a terminal when its option was not given. */
export interface Needed {
  /** The option's flags as help shows them, e.g. `--name <name>`. */
  readonly flag: string;
  readonly question: string;
  /** Checks an answer before it is taken (the same schema the service applies). */
  readonly schema?: ZodType;
  /** Taken on an empty answer (shown in brackets). */
  readonly fallback?: string;
}

/**
 * Whether missing values may be asked for: only with a person at a terminal (stdin and stdout both a TTY) and
 * not in a scripted call (`--json`, `-y`), where a question would hang a pipeline instead of failing it.
 */
export function canAsk(o: { json?: boolean; yes?: boolean }): boolean {
  return !o.json && !o.yes && Boolean(process.stdin.isTTY) && Boolean(process.stdout.isTTY);
}

const notGiven = (n: Needed) =>
  new InfraktError('VALIDATION', `required option '${n.flag}' not specified`, {
    hint: 'give it on the command line (see --help); on a terminal infrakt asks for it',
  });

const ATTEMPTS = 3;

/**
 * Returns the value of each needed option: the one given, else (on a terminal) an answer that passes its schema,
 * else the same clear error as a missing required option. Questions go to stderr, so stdout stays the result.
 */
export async function askMissing<K extends string>(
  given: Partial<Record<K, string | undefined>>,
  needed: Readonly<Record<K, Needed>>,
  o: { json?: boolean; yes?: boolean },
): Promise<Record<K, string>> {
  const out = {} as Record<K, string>;
  const missing = (Object.keys(needed) as K[]).filter((k) => given[k] === undefined || given[k] === '');
  for (const k of Object.keys(needed) as K[]) if (!missing.includes(k)) out[k] = given[k]!;
  if (missing.length === 0) return out;
  if (!canAsk(o)) throw notGiven(needed[missing[0]!]);
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  // Ctrl-C or Ctrl-D at a question: nothing was changed yet.
  const aborted = new Promise<never>((_, reject) => {
    const abort = () => reject(new InfraktError('ABORTED', 'aborted, nothing changed'));
    rl.once('SIGINT', abort);
    rl.once('close', abort);
  });
  aborted.catch(() => undefined);
  try {
    for (const k of missing) out[k] = await askOne(rl, needed[k], aborted);
  } finally {
    rl.removeAllListeners('close');
    rl.close();
  }
  return out;
}

async function askOne(rl: ReturnType<typeof createInterface>, n: Needed, aborted: Promise<never>): Promise<string> {
  const suffix = n.fallback ? ` [${n.fallback}]` : '';
  for (let attempt = 1; ; attempt++) {
    const answer = (await Promise.race([rl.question(`${n.question}${suffix}: `), aborted])).trim() || n.fallback || '';
    const problem = !answer
      ? 'a value is needed'
      : n.schema
        ? (() => {
            const r = n.schema!.safeParse(answer);
            return r.success ? null : (r.error.issues[0]?.message ?? 'not valid');
          })()
        : null;
    if (!problem) return answer;
    if (attempt >= ATTEMPTS) {
      throw new InfraktError('VALIDATION', `${n.flag.split(' ')[0]}: ${problem}`, { hint: 'nothing was changed' });
    }
    process.stderr.write(`  ${problem}; try again (Ctrl-C to stop)\n`);
  }
}
