import { CommanderError } from 'commander';
import { InfraktError, toInfraktError } from '../core/errors.js';
import { EXIT_CODES } from './exit-codes.js';
import { ce, jsonPrinted } from './output.js';

export const EXIT_WITH = 'infrakt.exit';

/** Ends a command with this exit status and nothing more printed (for commands with their own exit convention). */
export const exitWith = (status: number): CommanderError => new CommanderError(status, EXIT_WITH, '');

/** `{"error":{"code","message","hint"}}` on stdout, for a command run with --json. */
function printJsonError(code: string, message: string, hint: string | undefined, jobId?: unknown): void {
  const error = { code, message, ...(hint ? { hint } : {}), ...(typeof jobId === 'string' ? { jobId } : {}) };
  process.stdout.write(`${JSON.stringify({ error }, null, 2)}\n`);
}

/**
 * Prints `error: …` / `hint: …` on stderr (and, with --json, the error as JSON on stdout) and returns the exit
 * code for the error class.
 */
export function reportError(e: unknown, debug: boolean, json = false): number {
  if (e instanceof CommanderError) {
    // A command's own documented exit status (e.g. `plan`: 2 = changes), already reported by the command.
    if (e.code === EXIT_WITH) return e.exitCode;
    // commander already printed its message; usage errors share the VALIDATION code.
    if (e.exitCode !== 0 && json) {
      printJsonError('VALIDATION', e.message.replace(/^error: /, ''), 'run the command with --help for usage');
    }
    return e.exitCode === 0 ? 0 : EXIT_CODES.VALIDATION;
  }
  const err = e instanceof InfraktError ? e : toInfraktError(e);
  process.stderr.write(`${ce.red('error:')} ${err.message}\n`);
  const tailText = err.details?.stderrTail;
  if (typeof tailText === 'string' && tailText.trim() && err.code === 'COMMAND_FAILED') {
    const cmd = err.details?.command;
    if (typeof cmd === 'string') process.stderr.write(`${ce.dim('command:')} ${cmd}\n`);
    process.stderr.write(
      `${ce.dim(
        tailText
          .split('\n')
          .map((l) => `  | ${l}`)
          .join('\n'),
      )}\n`,
    );
  }
  // Every bad-input error points somewhere: the command's help lists what it accepts.
  const hint =
    err.hint ?? (err.code === 'VALIDATION' ? 'run the command with --help for the accepted values' : undefined);
  if (hint) process.stderr.write(`${ce.yellow('hint:')} ${hint}\n`);
  // One JSON document on stdout: a command that printed its result (e.g. per-host results) and then fails keeps it.
  if (json && !jsonPrinted()) printJsonError(err.code, err.message, hint, err.details?.jobId);
  if (debug) {
    const stack = (err.cause instanceof Error ? err.cause.stack : undefined) ?? err.stack;
    if (stack) process.stderr.write(`${ce.dim(stack)}\n`);
  }
  return EXIT_CODES[err.code];
}
