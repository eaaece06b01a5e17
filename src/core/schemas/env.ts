import { validation } from '../errors.js';
import { ENV_KEY_RE, envValueSchema } from './common.js';

export interface EnvPair {
  readonly key: string;
  readonly value: string;
}

/** Parses `KEY=VALUE` arguments (split at the first `=`). All-or-nothing: any bad pair rejects all. */
export function parseEnvPairs(args: readonly string[]): EnvPair[] {
  if (args.length === 0) throw validation('no KEY=VALUE pairs given', 'usage: infrakt env set <app> KEY=VALUE ...');
  const seen = new Map<string, string>();
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq <= 0) {
      throw validation(
        `malformed pair '${eq === 0 ? arg : arg.slice(0, 40)}': expected KEY=VALUE`,
        'write each variable as KEY=VALUE, e.g. DATABASE_URL=postgres://…',
      );
    }
    const key = arg.slice(0, eq);
    const value = arg.slice(eq + 1);
    if (!ENV_KEY_RE.test(key)) {
      throw validation(
        `invalid variable name '${key.slice(0, 60)}'`,
        'names start with a letter or "_" and contain only letters, digits and "_"',
      );
    }
    const checked = envValueSchema.safeParse(value);
    if (!checked.success)
      throw validation(`invalid value for ${key}: ${checked.error.issues[0]?.message ?? 'invalid'}`);
    seen.set(key, value);
  }
  return [...seen].map(([key, value]) => ({ key, value }));
}
