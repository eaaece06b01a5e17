/** A plan's unit: one change to one resource, with the fields it changes (values of env never included). */
export type ChangeAction = 'create' | 'update' | 'replace' | 'delete';
/** In the order apply runs them on a server (deletes run after, in reverse). */
export const KIND_ORDER = [
  'server',
  'provision',
  'host-entry',
  'database',
  'app',
  'catalog',
  'route',
  'proxy',
] as const;
export type ChangeKind = (typeof KIND_ORDER)[number];

export interface FieldChange {
  readonly field: string;
  readonly from?: string;
  readonly to?: string;
}

export interface Change {
  readonly action: ChangeAction;
  readonly kind: ChangeKind;
  /** Resource name (a route: its domain). */
  readonly name: string;
  /** The server whose chain runs it. */
  readonly server: string;
  readonly fields: readonly FieldChange[];
  /** Why, for changes the file did not ask for (drift found on the live server). */
  readonly notes: readonly string[];
  /** Deletes something (delete, replace, env keys removed): applied only with --prune. */
  readonly destructive: boolean;
  /** Apps: a deploy is part of this change. */
  readonly deploy?: boolean;
  /** Apps: env keys in the state but not in the file (removed only with --prune). */
  readonly envRemoved?: readonly string[];
}

export interface Plan {
  readonly changes: readonly Change[];
  /** Problems that are not changes (an unreachable server: its live state was not compared). */
  readonly warnings: readonly string[];
}

export const str = (v: unknown): string =>
  v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(', ') || '-' : String(v);

export function fields(pairs: readonly [string, unknown, unknown][]): FieldChange[] {
  return pairs
    .filter(([, a, b]) => str(a) !== str(b))
    .map(([field, from, to]) => ({ field, from: str(from), to: str(to) }));
}

export const change = (
  c: Omit<Change, 'notes' | 'destructive'> & Partial<Pick<Change, 'notes' | 'destructive'>>,
): Change => ({
  notes: [],
  destructive: c.action === 'delete' || c.action === 'replace',
  ...c,
});
