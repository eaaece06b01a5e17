// The `catalog:` section of infrakt.yaml as desired state: each install checked against the catalog (entry,
// version, inputs and their rules) with errors located in the file, and its given inputs normalised and hashed
// so that a plan compares them with the installed values without printing a secret one.
import type { Catalog } from '../../adapters/catalog/catalog-dir.js';
import type { CatalogInput } from '../../core/catalog/input-types.js';
import { checkInputValue, isVisible } from '../../core/catalog/inputs.js';
import type { CatalogManifest } from '../../core/catalog/manifest-schema.js';
import { isInfraktError } from '../../core/errors.js';
import { fieldError, type LoadedInventory } from '../../core/inventory/load.js';
import type { CatalogInputValue, CatalogSpec } from '../../core/inventory/model.js';
import type { CatalogInventory } from '../../core/inventory/schema.js';
import { secretRef } from '../../core/schemas/secret.js';
import { findEntry } from '../catalog/catalog-index.js';
import { hashValue } from './hash.js';

export interface CatalogDesiredInput {
  readonly loaded: LoadedInventory;
  readonly catalog: Catalog;
  /** Values of stored secrets by name (for `secret:NAME` inputs; hashed here, never kept or printed). */
  readonly secretValues: ReadonlyMap<string, string>;
  /** Secrets this file's databases create: references to them are valid before they exist. */
  readonly producedSecrets: ReadonlySet<string>;
}

/** An input value as a plan compares it: normalised by its type (`1` → `true`, `8080 ` → `8080`), then hashed. */
export function inputValue(input: CatalogInput, normalised: string): CatalogInputValue {
  return { secret: input.secret, shown: input.secret ? null : normalised, hash: hashValue(normalised) };
}

export function catalogSpec(
  d: CatalogDesiredInput,
  name: string,
  c: CatalogInventory,
): { spec: CatalogSpec; manifest: CatalogManifest } {
  const at = (...p: (string | number)[]) => ['catalog', name, ...p];
  let entry: ReturnType<typeof findEntry>;
  try {
    entry = findEntry(d.catalog, c.entry, c.version);
  } catch (e) {
    if (!isInfraktError(e)) throw e;
    const where = e.message.includes('has no version') ? at('version') : at('entry');
    throw fieldError(d.loaded, where, e.message, e.hint ?? 'add your own entries with --catalog-dir DIR');
  }
  const m = entry.manifest;
  if (m.kind === 'host' && c.domain !== undefined)
    throw fieldError(
      d.loaded,
      at('domain'),
      `${m.id} is a host entry (an installer run on the server): it takes no domain`,
    );
  const given = c.inputs ?? {};
  const inputs = new Map<string, CatalogInputValue>();
  for (const [k, raw] of Object.entries(given)) {
    const input = m.inputs.find((i) => i.name === k);
    if (!input)
      throw fieldError(
        d.loaded,
        at('inputs', k),
        `${m.id} ${m.version} has no input '${k}'`,
        m.inputs.length ? `its inputs: ${m.inputs.map((i) => i.name).join(', ')}` : 'it takes no inputs',
      );
    // Hidden inputs are neither used nor sent: accepting one would be a setting that silently does nothing.
    if (!isVisible(input, m.inputs, given))
      throw fieldError(
        d.loaded,
        at('inputs', k),
        `input '${k}' is hidden by its conditions (${conditionText(input)}): it would not be used`,
        'set the inputs it depends on, or remove it',
      );
    const ref = secretRef(raw);
    if (ref !== null) {
      const value = d.secretValues.get(ref);
      if (value === undefined) {
        if (!d.producedSecrets.has(ref))
          throw fieldError(
            d.loaded,
            at('inputs', k),
            `secret '${ref}' does not exist`,
            `create it with: infrakt secret set ${ref} (or a database's secret: in this file)`,
          );
        // Created by this apply: its value is not known yet, so it counts as a change.
        inputs.set(k, { secret: input.secret, shown: input.secret ? null : `secret:${ref}`, hash: `pending:${ref}` });
        continue;
      }
      const r = checkInputValue(input, value);
      if (!r.ok) throw fieldError(d.loaded, at('inputs', k), `secret '${ref}' ${r.message}`);
      inputs.set(k, inputValue(input, r.value));
      continue;
    }
    const r = checkInputValue(input, raw);
    if (!r.ok) throw fieldError(d.loaded, at('inputs', k), `input '${k}' ${r.message}`);
    inputs.set(k, inputValue(input, r.value));
  }
  return {
    spec: {
      name,
      server: c.server,
      entry: m.id,
      version: m.version,
      pinned: c.version !== undefined,
      domain: c.domain ?? null,
      inputs,
    },
    manifest: m,
  };
}

const conditionText = (input: CatalogInput) =>
  Object.entries(input.visible_if ?? {})
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : v.join('|')}`)
    .join(', ');
