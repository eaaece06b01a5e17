import { type Change, change, type FieldChange, str } from './change.js';
import { inputField } from './diff-catalog.js';
import type { HostInstallSpec, HostInstallState, LiveServer } from './model.js';

/**
 * Host entries of the catalog (installers run on the server): what the file wants against the record of the last
 * run and what the entry's check.sh says on the server now. Pure. A changed input or pinned version reinstalls
 * (install.sh runs again); a failed last run or a check.sh that fails runs the installer again; a record the file
 * no longer declares is removed with --prune only when the entry has an uninstall script, else a warning says
 * it stays.
 */
export function diffHosts(
  want: readonly HostInstallSpec[],
  have: readonly HostInstallState[],
  live: ReadonlyMap<string, LiveServer>,
): { changes: Change[]; warnings: string[] } {
  const key = (x: { server: string; entry: string }) => `${x.server}\0${x.entry}`;
  const haveBy = new Map(have.map((h) => [key(h), h]));
  const wantKeys = new Set(want.map(key));
  const changes: Change[] = [];
  const warnings: string[] = [];
  for (const w of want) {
    const h = haveBy.get(key(w));
    const check = live.get(w.server)?.hostChecks?.get(w.entry);
    const base = { kind: 'host-entry' as const, name: w.name, server: w.server };
    if (!h) {
      changes.push(
        change({
          ...base,
          action: 'create',
          fields: [
            { field: 'entry', to: `${w.entry} ${w.version}` },
            ...[...w.inputs].map(([k, v]) => ({ field: `inputs.${k}`, to: v.secret ? '(set)' : str(v.shown) })),
          ],
          notes:
            check === true ? ['check.sh: already in place on the server (apply records it, installs nothing)'] : [],
        }),
      );
      continue;
    }
    const f: FieldChange[] = [];
    if (w.pinned && w.version !== h.version) f.push({ field: 'version', from: h.version, to: w.version });
    for (const [k, v] of w.inputs) {
      const before = h.inputs.get(k);
      if (before?.hash !== v.hash) f.push(inputField(k, before, v));
    }
    const notes: string[] = [];
    if (f.length) notes.push('reinstall: install.sh runs again');
    else if (h.status === 'failed') notes.push('the last run failed: install.sh runs again');
    else if (check === false) notes.push('check.sh: not in place on the server: install.sh runs again');
    if (notes.length) changes.push(change({ ...base, action: 'update', fields: f, notes }));
  }
  for (const h of have) {
    if (wantKeys.has(key(h))) continue;
    if (h.uninstallable)
      changes.push(
        change({
          action: 'delete',
          kind: 'host-entry',
          name: h.entry,
          server: h.server,
          fields: [{ field: 'entry', from: `${h.entry} ${h.version}` }],
          notes: ['runs its uninstall.sh'],
        }),
      );
    else
      warnings.push(
        `host entry ${h.entry} on ${h.server} is not in the file but ${
          h.uninstallable === null ? 'is not in the catalog' : 'has no uninstall script'
        }: apply will not remove it (declare it, or undo it on the server by hand)`,
      );
  }
  return { changes, warnings };
}
