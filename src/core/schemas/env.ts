import { validation } from '../errors.js';
import { envKeySchema, envValueSchema } from './common.js';

export interface EnvPair {
  readonly key: string;
  readonly value: string;
}

/** Parses `KEY=VALUE` arguments (split at the first `=`). All-or-nothing: any bad pair rejects all. */
export function parseEnvPairs(args: readonly string[]): EnvPair[] {
  if (args.length === 0) throw validation('no KEY=VALUE pairs given', 'usage: infrakt env set <app> KEY=VALUE ...');
  const seen = new Map<string, string>();
  for (const [i, arg] of args.entries()) {
    const eq = arg.indexOf('=');
    // The argument is never echoed: without a usable key it may well be a bare secret value.
    if (eq <= 0) {
      throw validation(
        `malformed pair #${i + 1}: ${eq === 0 ? 'missing the variable name before "="' : 'expected KEY=VALUE'}`,
        'write each variable as KEY=VALUE, e.g. DATABASE_URL=postgres://…',
      );
    }
    const key = arg.slice(0, eq);
    const value = arg.slice(eq + 1);
    if (!envKeySchema.safeParse(key).success) {
      // Echo the name only when it is a plain word: `postgres://u:pw@h/db?x=1` must not be printed.
      const shown = /^[A-Za-z0-9_-]{1,64}$/.test(key) ? ` '${key}'` : '';
      throw validation(
        `invalid variable name${shown} in pair #${i + 1}`,
        'names start with a letter or "_", contain only letters, digits and "_", at most 255 characters',
      );
    }
    const checked = envValueSchema.safeParse(value);
    if (!checked.success)
      throw validation(`invalid value for ${key}: ${checked.error.issues[0]?.message ?? 'invalid'}`);
    seen.set(key, value);
  }
  return [...seen].map(([key, value]) => ({ key, value }));
}
