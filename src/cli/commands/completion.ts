import type { Command } from 'commander';
import { validation } from '../../core/errors.js';
import { completionScript, SHELLS, type Shell } from '../completion.js';

/** `infrakt completion bash|zsh|fish`: prints the script to source. */
export function registerCompletionCommand(program: Command): void {
  program
    .command('completion <shell>')
    .description('print a shell completion script (bash, zsh or fish): commands, options, app/server/db names')
    .action((shell: string) => {
      if (!(SHELLS as readonly string[]).includes(shell)) {
        throw validation(`unknown shell '${shell}'`, 'choose bash, zsh or fish');
      }
      process.stdout.write(completionScript(shell as Shell));
    });
}
