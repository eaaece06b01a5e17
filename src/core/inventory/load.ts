import { isMap, isScalar, isSeq, LineCounter, type Node, type Pair, parseDocument } from 'yaml';
import type { z } from 'zod';
import { InfraktError } from '../errors.js';
import { type InventoryFile, inventorySchema } from './schema.js';

export interface InventoryIssue {
  /** 1-based line and column in the file. */
  readonly line: number;
  readonly column: number;
  /** Dotted path of the field, e.g. `apps.web.port`. */
  readonly field: string;
  readonly message: string;
}

type Seg = string | number;

/** The key/value pair at `seg` of a collection node (maps by key, sequences by index). */
function child(node: unknown, seg: Seg): { pair?: Pair; node?: Node } {
  if (isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
    return pair ? { pair, node: (pair.value as Node | null) ?? undefined } : {};
  }
  if (isSeq(node) && typeof seg === 'number') return { node: (node.items[seg] as Node | undefined) ?? undefined };
  return {};
}

/** Offset of the deepest node along `path` that exists (an unknown key points at its own key). */
function offsetOf(root: unknown, path: readonly Seg[], key?: string): number {
  let node: unknown = root;
  let offset = (root as Node | null)?.range?.[0] ?? 0;
  for (const seg of path) {
    const c = child(node, seg);
    if (!c.pair && !c.node) break;
    const keyNode = c.pair?.key as Node | undefined;
    offset = c.node?.range?.[0] ?? keyNode?.range?.[0] ?? offset;
    node = c.node;
    if (!c.node) break;
  }
  if (key !== undefined) {
    const c = child(node, key);
    const keyNode = c.pair?.key as Node | undefined;
    if (keyNode?.range) offset = keyNode.range[0];
  }
  return offset;
}

const fieldOf = (path: readonly PropertyKey[]) =>
  path
    .map((s) => (typeof s === 'number' ? `[${s}]` : String(s)))
    .join('.')
    .replace(/\.\[/g, '[') || '(file)';

function issuesFromZod(error: z.ZodError, root: unknown, lc: LineCounter): InventoryIssue[] {
  const out: InventoryIssue[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((s): s is Seg => typeof s !== 'symbol');
    if (issue.code === 'invalid_key') {
      // A bad name (a map key): point at the key itself, with the key schema's own message.
      const key = String(path.at(-1));
      const pos = lc.linePos(offsetOf(root, path.slice(0, -1), key));
      out.push({
        line: pos.line,
        column: pos.col,
        field: fieldOf(path),
        message: issue.issues[0]?.message ?? issue.message,
      });
      continue;
    }
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [undefined];
    for (const key of keys) {
      const pos = lc.linePos(offsetOf(root, path, key));
      const field = fieldOf(key === undefined ? path : [...path, key]);
      const message = issue.code === 'unrecognized_keys' ? `unknown field '${key}'` : issue.message;
      out.push({ line: pos.line, column: pos.col, field, message });
    }
  }
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** `infrakt.yaml:12:5: apps.web.port: must be between 1 and 65535` — the format editors and CI logs link. */
export function formatIssue(file: string, i: InventoryIssue): string {
  return `${file}:${i.line}:${i.column}: ${i.field}: ${i.message}`;
}

export function inventoryError(file: string, issues: readonly InventoryIssue[]): InfraktError {
  const first = issues[0];
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
  return new InfraktError('VALIDATION', first ? `${formatIssue(file, first)}${more}` : `${file}: invalid inventory`, {
    details: { file, issues },
    hint:
      issues.length > 1
        ? issues
            .slice(1, 6)
            .map((i) => formatIssue(file, i))
            .join('\n')
        : undefined,
  });
}

export interface LoadedInventory {
  readonly file: string;
  readonly inventory: InventoryFile;
  /** Locates a field for errors found after parsing (references, unsupported features). */
  locate(path: readonly Seg[]): { line: number; column: number };
}

/**
 * Parses and validates infrakt.yaml text. Pure: the caller reads the file. Every problem (YAML syntax or
 * schema) is reported with file, line, column and field; the first is the message, the rest the hint.
 */
export function parseInventory(file: string, text: string): LoadedInventory {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const pos = lc.linePos(e.pos[0]);
      return { line: pos.line, column: pos.col, field: '(yaml)', message: e.message.split('\n')[0] ?? e.message };
    });
    throw inventoryError(file, issues);
  }
  const data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  const parsed = inventorySchema.safeParse(data);
  if (!parsed.success) throw inventoryError(file, issuesFromZod(parsed.error, doc.contents, lc));
  return {
    file,
    inventory: parsed.data,
    locate: (path) => {
      const pos = lc.linePos(offsetOf(doc.contents, path));
      return { line: pos.line, column: pos.col };
    },
  };
}

/** An error about a field found after parsing (e.g. an app on an unknown server), located in the file. */
export function fieldError(
  loaded: LoadedInventory,
  path: readonly Seg[],
  message: string,
  hint?: string,
): InfraktError {
  const pos = loaded.locate(path);
  const issue = { ...pos, field: fieldOf(path), message };
  return new InfraktError('VALIDATION', formatIssue(loaded.file, issue), {
    details: { file: loaded.file, issues: [issue] },
    hint,
  });
}
