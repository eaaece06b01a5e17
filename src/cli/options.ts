import { InvalidArgumentError } from 'commander';
import { readRegularFile, UnreadableFile } from '../adapters/local/bounded-file.js';
import { InfraktError } from '../core/errors.js';

/* Parsers and readers of command-line option values, shared by the command files. */

/** Commander parser for integer options; range checks stay in the zod schemas. */
export function intOption(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`'${value}' is not a whole number`);
  return Number.parseInt(value, 10);
}

/** A count (`--limit`, `--lines`): a whole number from 1 to `max` (a negative or zero count used to mean "all"). */
export const countOption =
  (max: number) =>
  (value: string): number => {
    const n = intOption(value);
    if (n < 1 || n > max) throw new InvalidArgumentError(`must be a whole number from 1 to ${max}`);
    return n;
  };

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

/**
 * Reads a dotenv file named on the command line, or stdin for `-`: a regular file of bounded size, decoded as
 * strict UTF-8 (a byte that is not UTF-8 would otherwise turn into U+FFFD and the value would change).
 */
export async function readEnvFile(path: string, maxBytes: number): Promise<string> {
  let bytes: Buffer;
  if (path === '-') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of process.stdin) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) throw new InfraktError('VALIDATION', `stdin holds more than ${maxBytes} bytes`);
      chunks.push(chunk as Buffer);
    }
    bytes = Buffer.concat(chunks);
  } else {
    try {
      bytes = readRegularFile(path, maxBytes);
    } catch (e) {
      const reason = e instanceof UnreadableFile ? e.reason : 'unreadable';
      const why = { unreadable: 'missing or unreadable', 'not-a-file': 'not a regular file', 'too-large': 'too large' };
      throw new InfraktError('VALIDATION', `cannot read ${path}: ${why[reason]}`, {
        hint: 'give the path of a dotenv file (KEY=VALUE lines), or - for stdin',
      });
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InfraktError('VALIDATION', `${path === '-' ? 'stdin' : path} is not valid UTF-8 text`);
  }
}
/** Commander collector for repeatable options (`--domain a --domain b`). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** `none` (any case) means "remove it": null for the service. */
export const noneToNull = (v: string | undefined): string | null | undefined =>
  v === undefined ? undefined : v.trim().toLowerCase() === 'none' ? null : v;
