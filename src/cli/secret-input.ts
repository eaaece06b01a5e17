import { InfraktError } from '../core/errors.js';
import { askHidden } from './catalog-prompt.js';

/**
 * A secret value for a command (a webhook URL with its token, an SMTP password): typed without echo on a
 * terminal, or read from stdin when piped (`printf %s "$URL" | infrakt notify add …`). Never from argv,
 * where any user of the machine could read it in the process list.
 */
export async function readSecretInput(label: string): Promise<string> {
  if (process.stdin.isTTY) {
    const v = await askHidden(`${label}: `);
    if (!v) throw new InfraktError('VALIDATION', `${label} is required, nothing changed`);
    return v;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (!text) throw new InfraktError('VALIDATION', `${label} is required: type it on a terminal or pipe it on stdin`);
  return text;
}
