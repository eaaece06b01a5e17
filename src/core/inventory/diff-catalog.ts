import { type Change, change, type FieldChange, str } from './change.js';
import type { CatalogInputValue, CatalogSpec, CatalogState, LiveServer } from './model.js';

/**
 * Catalog installs: what the file wants against what is installed. Pure. A different entry is a replace
 * (destroy, install anew); a different version, domain or given input value is an update run through the
 * catalog's health-gated upgrade (rolled back on failure). Secret inputs are shown as keys only.
 */
export function diffCatalog(want: CatalogSpec, have: CatalogState | undefined, live: LiveServer | undefined): Change[] {
  const base = { kind: 'catalog' as const, name: want.name, server: want.server };
  if (!have) {
    return [
      change({
        ...base,
        action: 'create',
        fields: [
          { field: 'entry', to: `${want.entry} ${want.version}` },
          ...(want.domain ? [{ field: 'domain', to: want.domain }] : []),
          ...[...want.inputs].map(([k, v]) => ({ field: `inputs.${k}`, to: v.secret ? '(set)' : str(v.shown) })),
        ],
        deploy: true,
      }),
    ];
  }
  if (have.entry !== want.entry) {
    return [
      change({
        ...base,
        action: 'replace',
        fields: [{ field: 'entry', from: `${have.entry} ${have.version}`, to: `${want.entry} ${want.version}` }],
        notes: ['destroys the app (containers, volumes, route) and installs the new entry'],
        deploy: true,
      }),
    ];
  }
  const f: FieldChange[] = [];
  if (want.pinned && want.version !== have.version) f.push({ field: 'version', from: have.version, to: want.version });
  if (str(want.domain) !== str(have.domain)) f.push({ field: 'domain', from: str(have.domain), to: str(want.domain) });
  for (const [k, v] of want.inputs) {
    const before = have.inputs.get(k);
    if (before?.hash === v.hash) continue;
    f.push(inputField(k, before, v));
  }
  const notes: string[] = [];
  if (have.currentRelease === null) notes.push('never deployed');
  else if (have.status !== 'running') notes.push(`status is ${have.status}`);
  else if (live?.reachable && !live.apps.get(want.name)?.running)
    notes.push(`release ${have.currentRelease} is not running on the server`);
  if (f.length === 0 && notes.length === 0) return [];
  return [change({ ...base, action: 'update', fields: f, notes, deploy: true })];
}

export function inputField(k: string, before: CatalogInputValue | undefined, v: CatalogInputValue): FieldChange {
  const field = `inputs.${k}`;
  if (v.secret) return before ? { field, from: '(set)', to: '(changed)' } : { field, to: '(set)' };
  return before ? { field, from: str(before.shown), to: str(v.shown) } : { field, to: str(v.shown) };
}
