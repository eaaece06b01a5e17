import { InfraktError } from '../core/errors.js';
import { Secret } from '../core/secret.js';

/** Reads all of stdin (a pipe or a file). One trailing newline is dropped: `echo x |` means `x`. */
async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** Prompts on the terminal without echo (raw mode), Ctrl-C aborts. */
function promptHidden(question: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(question);
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (fn: () => void) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      fn();
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\u0003') return done(() => reject(new InfraktError('ABORTED', 'aborted, nothing changed')));
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return done(() => resolve(value));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/**
 * A secret value from stdin (piped) or a hidden prompt (terminal). Never from argv: a value on the command
 * line would sit in the shell history and in every process listing.
 */
export async function readSecretInput(what: string): Promise<Secret> {
  const value = process.stdin.isTTY ? await promptHidden(`${what}: `) : await readAllStdin();
  if (!value) {
    throw new InfraktError('VALIDATION', `no ${what} given`, {
      hint: process.stdin.isTTY
        ? 'type the value at the prompt'
        : 'pipe the value on stdin, e.g. printf %s "$VALUE" | …',
    });
  }
  return new Secret(value);
}

/**
 * A password or token for a command: typed on a terminal without echo (twice with `confirm`), or read from
 * stdin when piped (`printf %s "$TOKEN" | infrakt …`) — never from argv, where other users see it in `ps`.
 */
export async function readSecret(what: string, opts: { confirm?: boolean } = {}): Promise<Secret> {
  if (process.stdin.isTTY && opts.confirm) {
    const a = await promptHidden(`${what}: `);
    const b = await promptHidden('again: ');
    if (a !== b) throw new InfraktError('VALIDATION', `the two ${what}s differ, nothing changed`);
    if (!a) throw new InfraktError('VALIDATION', `no ${what} given, nothing changed`);
    return new Secret(a);
  }
  return readSecretInput(what);
}
