import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { InfraktError } from '../core/errors.js';

/* Parsers and readers of command-line option values, shared by the command files. */

/** Commander parser for integer options; range checks stay in the zod schemas. */
export function intOption(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`'${value}' is not a whole number`);
  return Number.parseInt(value, 10);
}

/** Reads a compose file given on the command line (its content is stored with the app). */
export function readComposeFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InfraktError(
      'VALIDATION',
      `cannot read compose file ${path}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`,
    );
  }
}

/** Commander collector for repeatable options (`--domain a --domain b`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `none` (any case) means "remove it": null for the service. */
export const noneToNull = (v: string | undefined): string | null | undefined =>
  v === undefined ? undefined : v.trim().toLowerCase() === 'none' ? null : v;
