// The README is the user's manual: its tables must render. A blank line inside a table ends it, and
// the rows after it then show as literal text with pipes (issue 11, item 16).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

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
