// Catalog installs as plan input: an app whose settings name a catalog entry is compared as that entry (its
// version, domain and input values read back from its encrypted env), never as a plain compose app.
import type { Catalog } from '../../adapters/catalog/catalog-dir.js';
import type { AppRow } from '../../adapters/store/schema.js';
import { checkInputValue } from '../../core/catalog/inputs.js';
import type { CatalogManifest } from '../../core/catalog/manifest-schema.js';
import { valuesFromEnv } from '../../core/catalog/render.js';
import type { CatalogInputValue, CatalogState } from '../../core/inventory/model.js';
import { catalogSettings } from '../catalog/app-records.js';
import { openCatalog, versionsOf } from '../catalog/catalog-index.js';
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
