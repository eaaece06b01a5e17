import { createInterface } from 'node:readline/promises';
import { InfraktError } from '../core/errors.js';

/** Asks a yes/no question on a TTY. Without a TTY there is nobody to ask: refuse, and say how to proceed. */
export async function confirm(question: string, forceHint: string): Promise<void> {
  if (!process.stdin.isTTY) {
    throw new InfraktError('ABORTED', `${question.replace(/\?$/, '')}: confirmation needed`, { hint: forceHint });
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(`${question} [y/N] `)).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') throw new InfraktError('ABORTED', 'aborted, nothing changed');
  } finally {
    rl.close();
  }
}

/** Asks the user to type a name to confirm a destructive action. */
export async function confirmByName(what: string, name: string, forceHint: string): Promise<void> {
  if (!process.stdin.isTTY) {
    throw new InfraktError('ABORTED', `${what} needs confirmation`, { hint: forceHint });
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(`${what}. Type the name '${name}' to confirm: `)).trim();
    if (answer !== name) throw new InfraktError('ABORTED', 'name did not match, nothing changed');
  } finally {
    rl.close();
  }
}
