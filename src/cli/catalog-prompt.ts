// Terminal prompts for the inputs of a catalog install that were not given: only on a TTY, only for inputs that
// are visible with the answers so far (visible_if), passwords read without echo, every answer checked with the
// same rules as the API and the dashboard.
import { createInterface } from 'node:readline/promises';
import type { CatalogInput } from '../core/catalog/input-types.js';
import { checkInputValue, isVisible } from '../core/catalog/inputs.js';
import { InfraktError } from '../core/errors.js';
import { ce } from './output.js';

/** Reads a line with no echo (raw mode). Ctrl-C aborts, backspace edits. */
export function askHidden(question: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.resume();
    const done = (err?: Error) => {
      stdin.setRawMode(wasRaw);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new InfraktError('ABORTED', 'aborted, nothing changed'));
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

function describe(i: CatalogInput): string {
  const bits: string[] = [i.type];
  if (i.allowed_values) bits.push(`one of ${i.allowed_values.join('/')}`);
  if (i.default !== undefined) bits.push(`default ${i.default}`);
  if (i.generate) bits.push('empty: generate one');
  return bits.join(', ');
}

/** Whether an input must be asked: visible, not given, required, nothing to fill it with. */
export function needsAnswer(i: CatalogInput, inputs: readonly CatalogInput[], values: Record<string, string>): boolean {
  if (!isVisible(i, inputs, values)) return false;
  if ((values[i.name] ?? '') !== '') return false;
  return i.required && i.default === undefined && !i.generate;
}

/**
 * Asks for every missing required input in manifest order (answers can make later inputs visible). Without a
 * TTY nothing is asked: the install's validation names what is missing.
 */
export async function promptMissing(
  inputs: readonly CatalogInput[],
  given: Readonly<Record<string, string>>,
): Promise<Record<string, string>> {
  const values = { ...given };
  if (!process.stdin.isTTY || !inputs.some((i) => needsAnswer(i, inputs, values))) return values;
  for (const input of inputs) {
    if (!needsAnswer(input, inputs, values)) continue;
    if (input.help) process.stderr.write(`${ce.dim(input.help)}\n`);
    for (;;) {
      const q = `${input.label} ${ce.dim(`(${describe(input)})`)}: `;
      let answer: string;
      if (input.secret) answer = await askHidden(q);
      else {
        const rl = createInterface({ input: process.stdin, output: process.stderr });
        try {
          answer = await rl.question(q);
        } finally {
          rl.close();
        }
      }
      const r = checkInputValue(input, answer);
      if (r.ok && r.value !== '') {
        values[input.name] = r.value;
        break;
      }
      process.stderr.write(`${ce.red('✗')} ${input.label} ${r.ok ? 'is required' : r.message}\n`);
    }
  }
  return values;
}
