import type { Command } from 'commander';

/** `--catalog-dir DIR`, repeatable: a user's own entries beside the built-in ones. */
export const collect = (v: string, acc: string[] = []) => [...acc, v];
export const catalogDirOption = (cmd: Command) =>
  cmd.option('--catalog-dir <dir>', 'also use the entries in this folder (repeatable)', collect, [] as string[]);
