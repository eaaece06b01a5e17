import { Command } from 'commander';
import { COMMAND_GROUPS, type CommandGroup, commandGroup } from './command-groups.js';
import { complete } from './completion.js';
import { readResourceNames } from './context.js';
import { reportError } from './errors.js';
import { addHelpExamples } from './examples.js';

declare const INFRAKT_VERSION: string;

/**
 * The CLI program: every command, or only the top-level command `only` names (with the program's own options),
 * which is all a call of that command can reach. Its groups' modules load on demand (see command-groups.ts).
 */
export async function buildProgram(only?: CommandGroup): Promise<Command> {
  const program = new Command('infrakt')
    .description('Self-hosted PaaS over plain SSH: servers, apps, env vars, databases and Caddy, no remote agent.')
    .version(typeof INFRAKT_VERSION === 'string' ? INFRAKT_VERSION : 'dev', '-v, --version')
    .option('--debug', 'print stack traces for errors')
    .option('--verbose', 'show job log lines under the running step')
    .showHelpAfterError('hint: run the command with --help for usage')
    .exitOverride();

  const registrars = await Promise.all((only ? [only] : COMMAND_GROUPS).map((g) => g.load()));
  for (const register of registrars) register(program);

  addHelpExamples(program);
  // Subcommands inherit exitOverride so usage errors surface as exceptions we map to exit codes.
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

/**
 * The group a call can reach, when its command is known: the first argument after the program's own flags
 * (which take no value). Help, version, completion and unknown commands get the whole program.
 */
function reachableGroup(argv: readonly string[]): CommandGroup | undefined {
  const args = argv.slice(2);
  const first = args.findIndex((a) => a !== '--debug' && a !== '--verbose');
  const name = first < 0 ? undefined : args[first];
  return name === undefined || name.startsWith('-') ? undefined : commandGroup(name);
}

export async function main(argv: string[]): Promise<number> {
  // The completion scripts' callback: its words are not infrakt options, so commander does not parse them.
  if (argv[2] === '__complete') {
    const program = await buildProgram();
    const names = await readResourceNames().catch(() => ({ apps: [], servers: [], databases: [] }));
    const out = complete(program, argv.slice(4), argv[3] ?? '', names);
    if (out.length) process.stdout.write(`${out.join('\n')}\n`);
    return 0;
  }
  const debug = argv.includes('--debug');
  const program = await buildProgram(reachableGroup(argv));
  // --json among infrakt's own arguments (not in a remote command after `--`): failures print JSON too.
  const own = argv.indexOf('--') < 0 ? argv : argv.slice(0, argv.indexOf('--'));
  const json = own.slice(2).includes('--json');
  // `db create --version <tag>` / `catalog show --version <v>` are versions of the thing: after these
  // commands, program options are not parsed.
  if (argv[2] === 'db' || argv[2] === 'catalog') program.enablePositionalOptions();
  try {
    await program.parseAsync(argv);
    // `app exec|run|shell` pass the remote command's exit status through.
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    return reportError(e, debug, json);
  }
}
