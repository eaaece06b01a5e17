import { InfraktError } from '../core/errors.js';
import { Secret } from '../core/secret.js';
import { askHidden } from './catalog-prompt.js';

/**
 * A password or token for a command: typed on a terminal without echo (twice with `confirm`), or read from
 * stdin when piped (`printf %s "$TOKEN" | infrakt …`) — never from argv, where other users see it in `ps`.
 * One trailing newline of piped input is dropped.
 */
export async function readSecret(what: string, opts: { confirm?: boolean } = {}): Promise<Secret> {
  if (process.stdin.isTTY) {
    const a = await askHidden(`${what}: `);
    if (opts.confirm) {
      const b = await askHidden('again: ');
      if (a !== b) throw new InfraktError('VALIDATION', `the two ${what}s differ, nothing changed`);
    }
    if (!a) throw new InfraktError('VALIDATION', `no ${what} given, nothing changed`);
    return new Secret(a);
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (!text) {
    throw new InfraktError('VALIDATION', `no ${what} given: type it on a terminal or pipe it on stdin`, {
      hint: `e.g. printf %s "$SECRET" | infrakt …`,
    });
  }
  return new Secret(text);
}
