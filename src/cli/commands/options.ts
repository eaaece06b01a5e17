import { InvalidArgumentError } from 'commander';

/** Commander parser for integer options; range checks stay in the zod schemas. */
export function intOption(value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`'${value}' is not a whole number`);
  return Number.parseInt(value, 10);
}
