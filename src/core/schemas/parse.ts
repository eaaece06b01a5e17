import type { z } from 'zod';
import { InfraktError } from '../errors.js';

/** Parses with a zod schema and turns the first issue into a VALIDATION error naming the field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'input'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => {
    const field = i.path.length ? i.path.join('.') : what;
    return { field, message: i.message };
  });
  const first = issues[0];
  throw new InfraktError('VALIDATION', first ? `invalid ${first.field}: ${first.message}` : `invalid ${what}`, {
    details: { issues },
    hint: issues.length > 1 ? `${issues.length} problems in the input; fix them and retry` : undefined,
  });
}
