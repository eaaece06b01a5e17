// Every command's --help has examples, and every example parses with the real CLI parser (commander with infrakt's
// option parsers and required options) as the command it is listed under. Actions are replaced by a recorder, so
// nothing runs: what is proved is that the example is a valid call of that command.
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { EXAMPLES, leafCommands } from '../../src/cli/examples.js';
import { buildProgram } from '../../src/cli/main.js';

/** Splits a shell line into words (single and double quotes; no expansions). */
function shellWords(line: string): string[] {
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
function infraktArgs(example: string): string[] {
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
async function recordingProgram(): Promise<{ program: Command; ran: string[] }> {
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

const leaves = leafCommands(await buildProgram());

describe('help examples', () => {
  it('every command has one to three examples, and every example is of a command', () => {
    const missing = [...leaves.keys()].filter((p) => !(EXAMPLES[p]?.length && EXAMPLES[p].length <= 3));
    expect(missing).toEqual([]);
    expect(Object.keys(EXAMPLES).filter((p) => !leaves.has(p))).toEqual([]);
  });

  it.each([...leaves.keys()])('%s: --help shows them, and each parses as this command', async (path) => {
    const cmd = leaves.get(path)!;
    let help = '';
    cmd.configureOutput({ writeOut: (s) => (help += s), writeErr: () => undefined });
    cmd.outputHelp();
    expect(help).toContain('\nExamples:\n');
    for (const example of EXAMPLES[path] ?? []) {
      expect(help).toContain(`  ${example}\n`);
      const args = infraktArgs(example);
      const { program, ran } = await recordingProgram();
      // As main() does: after db and catalog, program options are not parsed (their --version is the thing's).
      if (args[0] === 'db' || args[0] === 'catalog') program.enablePositionalOptions();
      await program.parseAsync(['node', 'infrakt', ...args]).catch((e) => {
        throw new Error(`example does not parse: ${example}\n  ${(e as Error).message}`);
      });
      expect(ran, example).toEqual([path]);
    }
  });

  it('required options are marked in help', () => {
    let help = '';
    const cmd = leaves.get('app create')!;
    cmd.configureOutput({ writeOut: (s) => (help += s), writeErr: () => undefined });
    cmd.outputHelp();
    expect(help).toMatch(/--server <server>\s+.*\(required/);
    expect(help).toMatch(/--name <name>\s+.*\(required/);
    expect(help).not.toMatch(/--port <port>\s+.*\(required/);
  });

  it('a broken example would be caught: a missing required option and a bad value fail to parse', async () => {
    for (const bad of ['infrakt db create --name pg --type postgres', 'infrakt job list --limit many']) {
      const { program, ran } = await recordingProgram();
      await expect(program.parseAsync(['node', 'infrakt', ...infraktArgs(bad)])).rejects.toThrow();
      expect(ran).toEqual([]);
    }
  });
});
