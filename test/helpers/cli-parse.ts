// Parsing infrakt command lines as a user types them (help examples, README code blocks) with the real CLI parser,
// every action replaced by a recorder: what is proved is that a line is a valid call of one command.
import type { Command } from 'commander';
import { expect } from 'vitest';
import { leafCommands } from '../../src/cli/examples.js';
import { buildProgram } from '../../src/cli/main.js';

/** Splits a shell line into words (single and double quotes; no expansions). */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: '"' | "'" | null = null;
  let inWord = false;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += ch;
      inWord = true;
    }
  }
  if (quote) throw new Error(`unbalanced quote in: ${line}`);
  if (inWord) words.push(cur);
  return words;
}

/** The infrakt arguments of an example line: comment, pipe into it, `<(…)` and redirections taken off. */
export function infraktArgs(example: string): string[] {
  let words = shellWords(example);
  const hash = words.indexOf('#');
  if (hash >= 0) words = words.slice(0, hash);
  const pipe = words.lastIndexOf('|');
  if (pipe >= 0) words = words.slice(pipe + 1);
  const sub = words.findIndex((w) => w.startsWith('<('));
  if (sub >= 0) words = [words[sub]!.slice(2), ...words.slice(sub + 1)];
  if (words.at(-1)?.endsWith(')')) words[words.length - 1] = words.at(-1)!.slice(0, -1);
  const redirect = words.findIndex((w) => w === '<' || w === '>');
  if (redirect >= 0) words = words.slice(0, redirect);
  expect(words[0], example).toBe('infrakt');
  return words.slice(1);
}

/** The real program with every action replaced by one that records which command ran. */
export async function recordingProgram(): Promise<{ program: Command; ran: string[] }> {
  const program = await buildProgram();
  const ran: string[] = [];
  const silent = { writeOut: () => undefined, writeErr: () => undefined };
  program.configureOutput(silent);
  for (const [path, cmd] of leafCommands(program)) {
    cmd.configureOutput(silent);
    cmd.action(() => {
      ran.push(path);
    });
  }
  return { program, ran };
}

/** Parses a line's infrakt arguments as main() does; the commands whose action ran (one, for a valid line). */
export async function parseAsCli(args: string[]): Promise<string[]> {
  const { program, ran } = await recordingProgram();
  // As main() does: after db and catalog, program options are not parsed (their --version is the thing's).
  if (args[0] === 'db' || args[0] === 'catalog') program.enablePositionalOptions();
  await program.parseAsync(['node', 'infrakt', ...args]);
  return ran;
}
