import { InfraktError } from '../core/errors.js';
import type { PtySession } from '../core/executor.js';

/**
 * Attaches this terminal to a remote pty session: raw mode (keys go through as typed, Ctrl-C included), the
 * window size follows this terminal, and the normal mode comes back when the program ends. Resolves with the
 * remote program's exit status.
 */
export async function attachTerminal(
  open: (size: { cols: number; rows: number }) => Promise<{ session: PtySession }>,
): Promise<number> {
  const stdin = process.stdin;
  const stdout = process.stdout;
  if (!stdin.isTTY || !stdout.isTTY) {
    throw new InfraktError('VALIDATION', 'an interactive session needs a terminal (stdin and stdout)', {
      hint: 'run it from a terminal, or without -i for a command whose output you capture',
    });
  }
  const { session } = await open({ cols: stdout.columns || 80, rows: stdout.rows || 24 });
  const onInput = (b: Buffer) => session.write(b);
  const onResize = () => session.resize(stdout.columns || 80, stdout.rows || 24);
  session.onData((b) => stdout.write(b));
  stdin.setRawMode(true);
  stdin.on('data', onInput);
  stdin.resume();
  stdout.on('resize', onResize);
  try {
    return await session.exited;
  } finally {
    stdout.off('resize', onResize);
    stdin.off('data', onInput);
    stdin.setRawMode(false);
    stdin.pause();
  }
}
