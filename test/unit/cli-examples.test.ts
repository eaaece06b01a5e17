// Every command's --help has examples, and every example parses with the real CLI parser (commander with infrakt's
// option parsers and required options) as the command it is listed under. Actions are replaced by a recorder, so
// nothing runs: what is proved is that the example is a valid call of that command.
import { describe, expect, it } from 'vitest';
import { EXAMPLES, leafCommands } from '../../src/cli/examples.js';
import { buildProgram } from '../../src/cli/main.js';
import { infraktArgs, parseAsCli, recordingProgram } from '../helpers/cli-parse.js';

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
      const ran = await parseAsCli(infraktArgs(example)).catch((e) => {
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
