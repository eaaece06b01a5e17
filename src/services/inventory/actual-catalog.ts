// Catalog installs as plan input: an app whose settings name a catalog entry is compared as that entry (its
// version, domain and input values read back from its encrypted env), never as a plain compose app.
import type { Catalog } from '../../adapters/catalog/catalog-dir.js';
import type { AppRow } from '../../adapters/store/schema.js';
import { checkInputValue } from '../../core/catalog/inputs.js';
import type { CatalogManifest } from '../../core/catalog/manifest-schema.js';
import { valuesFromEnv } from '../../core/catalog/render.js';
import type { CatalogInputValue, CatalogState, HostInstallState } from '../../core/inventory/model.js';
import { catalogSettings } from '../catalog/app-records.js';
import { openCatalog, versionsOf } from '../catalog/catalog-index.js';
import { hostInstallValues } from '../catalog/host-records.js';
import { hostScripts } from '../catalog/host-run.js';
import type { Ctx } from '../shared/context.js';
import { inputValue } from './desired-catalog.js';

/** The manifest an install was made with, else the newest of its entry (null: the entry is not in the catalog). */
export function installedManifest(cat: Catalog, id: string, version: string): CatalogManifest | null {
  const all = versionsOf(cat, id);
  return (all.find((e) => e.manifest.version === version) ?? all[0])?.manifest ?? null;
}

/**
 * Returns a reader that turns an app row (and its decrypted env) into a catalog state, or null for an app that
 * was not installed from the catalog. The catalog is opened once, on the first catalog app.
 */
export function catalogStateOf(catalogDirs: readonly string[]) {
  let cat: Catalog | null = null;
  return (
    a: AppRow & { server_name: string },
    env: ReadonlyMap<string, string>,
  ): { state: CatalogState; manifest: CatalogManifest | null } | null => {
    const installed = catalogSettings(a);
    if (!installed) return null;
    cat ??= openCatalog({ catalogDirs });
    const m = installedManifest(cat, installed.id, installed.version);
    const inputs = new Map<string, CatalogInputValue>();
    if (m) {
      const values = valuesFromEnv(m, Object.fromEntries(env));
      for (const input of m.inputs) {
        const v = values[input.name];
        if (v === undefined) continue;
        const r = checkInputValue({ ...input, required: false }, v);
        inputs.set(input.name, inputValue(input, r.ok ? r.value : v));
      }
    }
    return {
      state: {
        name: a.name,
        server: a.server_name,
        entry: installed.id,
        version: installed.version,
        domain: a.domain,
        inputs,
        status: a.status,
        currentRelease: a.current_release,
      },
      manifest: m,
    };
  };
}

/**
 * Host entries run on servers, as plan input: the values of the last run (sealed in the record; secret ones
 * become hashes here), and whether the entry can be uninstalled. The manifest each was read with is returned
 * for export (`server/entry`).
 */
export async function hostStates(
  ctx: Ctx,
  catalogDirs: readonly string[],
): Promise<{ states: HostInstallState[]; manifests: Map<string, CatalogManifest> }> {
  const rows = await ctx.store.db
    .selectFrom('catalog_host_installs')
    .innerJoin('servers', 'servers.id', 'catalog_host_installs.server_id')
    .selectAll('catalog_host_installs')
    .select('servers.name as server_name')
    .orderBy('servers.name')
    .orderBy('entry_id')
    .execute();
  const states: HostInstallState[] = [];
  const manifests = new Map<string, CatalogManifest>();
  if (rows.length === 0) return { states, manifests };
  const cat = openCatalog({ catalogDirs });
  for (const r of rows) {
    const entry = versionsOf(cat, r.entry_id).find((e) => e.manifest.version === r.version);
    const m = installedManifest(cat, r.entry_id, r.version);
    const inputs = new Map<string, CatalogInputValue>();
    if (m) {
      manifests.set(`${r.server_name}/${r.entry_id}`, m);
      const values = hostInstallValues(ctx, r);
      for (const input of m.inputs) {
        const v = values[input.name];
        if (v === undefined) continue;
        const c = checkInputValue({ ...input, required: false }, v);
        inputs.set(input.name, inputValue(input, c.ok ? c.value : v));
      }
    }
    states.push({
      server: r.server_name,
      entry: r.entry_id,
      version: r.version,
      status: r.status,
      inputs,
      uninstallable: entry ? hostScripts(entry).uninstall !== null : null,
    });
  }
  return { states, manifests };
}
