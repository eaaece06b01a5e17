// The README is the user's manual: its tables must render. A blank line inside a table ends it, and
// the rows after it then show as literal text with pipes (issue 11, item 16).
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { leafCommands } from '../../src/cli/examples.js';
import { buildProgram } from '../../src/cli/main.js';
import { infraktArgs, parseAsCli } from '../helpers/cli-parse.js';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** Blocks of consecutive lines starting with `|`, outside fenced code, with their first line number. */
function tables(text: string): { line: number; rows: string[] }[] {
  const out: { line: number; rows: string[] }[] = [];
  let fenced = false;
  let current: { line: number; rows: string[] } | null = null;
  text.split('\n').forEach((l, i) => {
    if (l.startsWith('```')) fenced = !fenced;
    if (!fenced && l.startsWith('|')) {
      current ??= { line: i + 1, rows: [] };
      current.rows.push(l);
    } else if (current) {
      out.push(current);
      current = null;
    }
  });
  if (current) out.push(current);
  return out;
}

// Cells split on pipes that are not escaped (`\|` inside code spans stays in its cell).
const cells = (row: string) => row.replace(/\\\|/g, '').split('|').length;

describe('README tables', () => {
  const all = tables(readme);

  it('there are tables to check', () => {
    expect(all.length).toBeGreaterThan(8);
  });

  it('every table starts with a header and a separator row (no table split by a blank line)', () => {
    const broken = all.filter((t) => t.rows.length < 2 || !/^\|\s*:?-{3,}/.test(t.rows[1]!));
    expect(broken.map((t) => `line ${t.line}: ${t.rows[0]}`)).toEqual([]);
  });

  it('every row has as many cells as its header', () => {
    const bad = all.flatMap((t) =>
      t.rows.filter((r) => cells(r) !== cells(t.rows[0]!)).map((r) => `table at line ${t.line}: ${r}`),
    );
    expect(bad).toEqual([]);
  });
});

/** Shell lines of the README's and docs' ```bash blocks that run infrakt (`npx infrakt …`, `… | npx infrakt …`). */
function readmeCommandLines(): { file: string; line: string }[] {
  const out: { file: string; line: string }[] = [];
  for (const file of ['README.md', ...readdirSync(new URL('../../docs/', import.meta.url)).map((f) => `docs/${f}`)]) {
    if (!file.endsWith('.md')) continue;
    const text = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
    let lang: string | null = null;
    for (const l of text.split('\n')) {
      if (l.startsWith('```')) {
        lang = lang === null ? l.slice(3).trim() : null;
        continue;
      }
      if ((lang === 'bash' || lang === 'sh') && /(^|\|\s*)(npx )?infrakt /.test(l)) out.push({ file, line: l });
    }
  }
  return out;
}

const asTyped = (line: string) => line.replace(/(^|\|\s*)npx infrakt /, '$1infrakt ');

describe('README commands', () => {
  const lines = readmeCommandLines();

  it('there are commands to check', () => {
    expect(lines.length).toBeGreaterThan(10);
  });

  // A user copies these as written: each must be a valid call of one command (options and values as the CLI
  // knows them today), parsed by the real CLI parser with the actions replaced by a recorder.
  it.each(lines.map((l) => [l.file, l.line]))('%s: %s', async (_file, line) => {
    const ran = await parseAsCli(infraktArgs(asTyped(line))).catch((e) => {
      throw new Error(`does not parse: ${line}\n  ${(e as Error).message}`);
    });
    expect(ran).toHaveLength(1);
  });

  it('a line with an option the CLI does not know would be caught', async () => {
    await expect(parseAsCli(infraktArgs('infrakt server add --name a --host h --keyfile k'))).rejects.toThrow();
  });
});

const programLeaves = leafCommands(await buildProgram());

describe('README command tables', () => {
  const leaves = programLeaves;
  const paths = [...leaves.keys()];

  /** `(command, options)` of each code span in a table row's first cell that starts with a command. */
  function tableSpans(): { code: string; path: string; options: string[] }[] {
    const out: { code: string; path: string; options: string[] }[] = [];
    for (const row of readme.split('\n').filter((l) => l.startsWith('| `'))) {
      const cell = row.split(/(?<!\\)\|/)[1] ?? '';
      for (const m of cell.matchAll(/`([^`]+)`/g)) {
        const code = m[1]!.replace(/^infrakt /, '');
        let path = '';
        for (const w of code.split(/\s+/)) {
          const next = path ? `${path} ${w}` : w;
          if (!paths.some((p) => p === next || p.startsWith(`${next} `))) break;
          path = next;
        }
        if (leaves.has(path))
          out.push({ code, path, options: [...code.matchAll(/(?<![\w-])(--?[a-zA-Z][\w-]*)/g)].map((o) => o[1]!) });
      }
    }
    return out;
  }

  it('every option a table row shows exists on that command', () => {
    const spans = tableSpans();
    expect(spans.length).toBeGreaterThan(100);
    const unknown = spans.flatMap(({ code, path, options }) => {
      const cmd = leaves.get(path)!;
      const known = new Set(['--help', '-h', ...cmd.options.flatMap((o) => [o.long, o.short].filter(Boolean))]);
      return options.filter((o) => !known.has(o)).map((o) => `${path}: ${o} in \`${code}\``);
    });
    expect(unknown).toEqual([]);
  });
});
