import { InvalidArgumentError } from 'commander';
import { readRegularFile, UnreadableFile } from '../adapters/local/bounded-file.js';
import { InfraktError } from '../core/errors.js';

/* Parsers and readers of command-line option values, shared by the command files. */

/** Commander parser for integer options; range checks stay in the zod schemas. */
export function intOption(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`'${value}' is not a whole number`);
  return Number.parseInt(value, 10);
}

/** Reads a compose file given on the command line (its content is stored with the app). */
export function readComposeFile(path: string): string {
  // A regular file of at most 1 MB (the limit apps are stored with): never a FIFO or a device.
  try {
    return readRegularFile(path, 1_000_000).toString('utf8');
  } catch (e) {
    const reason = e instanceof UnreadableFile ? e.reason : 'unreadable';
    const why = {
      unreadable: 'missing or unreadable',
      'not-a-file': 'not a regular file',
      'too-large': 'larger than 1 MB',
    };
    throw new InfraktError('VALIDATION', `cannot use compose file ${path}: ${why[reason]}`, {
      hint: 'give the path of a docker-compose.yml',
    });
  }
}
