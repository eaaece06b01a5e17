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
