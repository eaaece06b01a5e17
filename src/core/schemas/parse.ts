import type { z } from 'zod';
import { InfraktError } from '../errors.js';

export interface FieldIssue {
  field: string;
  message: string;
}

/**
 * The first issue of each field, in zod's order. A value that fails its format also fails the checks after it
 * (a memory size `lots` is "not at least 6m" and "larger than any server"), which only confuses: one bad value is
 * one problem.
 */
export function firstPerField(issues: readonly FieldIssue[]): FieldIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => !seen.has(i.field) && seen.add(i.field));
}

/** Parses with a zod schema and turns the first issue into a VALIDATION error naming the field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'input'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = firstPerField(
    result.error.issues.map((i) => {
      // A list parsed on its own (`--domain a --domain b`) has paths [0], [1]: name the input too ("domain.0").
      const path = typeof i.path[0] === 'number' ? [what, ...i.path] : i.path;
      return { field: path.length ? path.join('.') : what, message: i.message };
    }),
  );
  const first = issues[0];
  throw new InfraktError('VALIDATION', first ? `invalid ${first.field}: ${first.message}` : `invalid ${what}`, {
    details: { issues },
    hint: issues.length > 1 ? `${issues.length} problems in the input; fix them and retry` : undefined,
  });
}
