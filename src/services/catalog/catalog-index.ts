// Finding, listing and describing catalog entries: the built-in catalog plus any `--catalog-dir` folders.
import {
  builtinCatalogDir,
  type Catalog,
  type CatalogEntry,
  type CatalogSource,
  loadCatalog,
} from '../../adapters/catalog/catalog-dir.js';
import type { CatalogManifest } from '../../core/catalog/manifest-schema.js';
import { InfraktError } from '../../core/errors.js';
import type { CatalogEntryDetail, CatalogEntrySummary, CatalogInputView } from '../../core/schemas/views/catalog.js';

export interface CatalogOptions {
  /** Extra catalog folders (a user's own entries), after the built-in one. */
  readonly catalogDirs?: readonly string[];
}

/** Loads the built-in catalog and the user's folders (a missing user folder is a VALIDATION error). */
export function openCatalog(opts: CatalogOptions = {}): Catalog {
  const dirs: { path: string; source: CatalogSource }[] = [{ path: builtinCatalogDir(), source: 'builtin' }];
  for (const d of opts.catalogDirs ?? []) dirs.push({ path: d, source: 'user' });
  const cat = loadCatalog(dirs);
  const missing = cat.problems.find((p) => p.message === 'is not a directory');
  if (missing) throw new InfraktError('VALIDATION', `catalog folder ${missing.where} is not a directory`);
  return cat;
}

/** Loads one folder on its own (`catalog validate DIR`): problems are reported, not thrown. */
export function openCatalogDir(dir: string): Catalog {
  return loadCatalog([{ path: dir, source: 'user' }]);
}

/** Orders versions: numeric dot parts compared as numbers (2024.12.3 > 2024.2.1), the rest as text. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+-]/);
  const pb = b.split(/[.+-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '';
    const y = pb[i] ?? '';
    if (x === y) continue;
    if (/^\d+$/.test(x) && /^\d+$/.test(y)) return Number(x) - Number(y);
    return x < y ? -1 : 1;
  }
  return 0;
}

export function versionsOf(cat: Catalog, id: string): CatalogEntry[] {
  return cat.entries
    .filter((e) => e.manifest.id === id)
    .sort((a, b) => compareVersions(b.manifest.version, a.manifest.version));
}

/** One entry: the given version, or the newest. Refused entries are reported with their problems. */
export function findEntry(cat: Catalog, id: string, version?: string): CatalogEntry {
  const all = versionsOf(cat, id);
  if (all.length === 0) {
    const refused = cat.problems.filter((p) => p.where.includes(`/${id}/`) || p.where.includes(`/${id}@`));
    if (refused.length)
      throw new InfraktError(
        'VALIDATION',
        `catalog entry '${id}' does not validate: ${refused[0]!.where}: ${refused[0]!.message}`,
        {
          details: { issues: refused.map((p) => ({ field: p.where, message: p.message })) },
        },
      );
    throw new InfraktError('NOT_FOUND', `catalog entry '${id}' not found`, {
      hint: 'see the entries with: infrakt catalog list',
    });
  }
  if (!version) return all[0]!;
  const hit = all.find((e) => e.manifest.version === version);
  if (!hit)
    throw new InfraktError('NOT_FOUND', `catalog entry '${id}' has no version ${version}`, {
      hint: `available: ${all.map((e) => e.manifest.version).join(', ')}`,
    });
  return hit;
}

export type { CatalogEntryDetail, CatalogEntrySummary, CatalogInputView };

export const SOCKET_WARNING = {
  direct: 'full control of this server: the app talks to the Docker socket directly',
  proxy: 'reads Docker state through docker-socket-proxy (filtered API, no direct socket)',
} as const;

function summary(cat: Catalog, e: CatalogEntry): CatalogEntrySummary {
  const m = e.manifest;
  return {
    id: m.id,
    name: m.name,
    version: m.version,
    versions: versionsOf(cat, m.id).map((v) => v.manifest.version),
    description: m.description,
    category: m.category,
    icon: m.icon,
    website: m.website,
    kind: m.kind,
    tags: m.tags,
    source: e.source,
    dockerSocket: m.docker_socket?.access ?? 'none',
  };
}

function inputView(i: CatalogManifest['inputs'][number]): CatalogInputView {
  const { allowed_values, visible_if, ...rest } = i;
  return {
    ...rest,
    ...(allowed_values ? { allowed_values: [...allowed_values] } : {}),
    ...(visible_if
      ? {
          visible_if: Object.fromEntries(
            Object.entries(visible_if).map(([k, v]) => [k, Array.isArray(v) ? [...v] : v]),
          ),
        }
      : {}),
  } as CatalogInputView;
}

export function entryDetail(cat: Catalog, e: CatalogEntry): CatalogEntryDetail {
  const m = e.manifest;
  return {
    ...summary(cat, e),
    inputs: m.inputs.map(inputView),
    outputs: m.outputs.map((o) => ({ label: o.label, secret: o.secret })),
    route: m.routes[0] ?? null,
    volumes: m.volumes,
    os: m.os ?? null,
    timeoutSeconds: m.timeout_seconds,
    dockerSocketReason: m.docker_socket?.reason ?? null,
    upgradeNotes: m.upgrade_notes ?? null,
    idempotencyCheck: Boolean(e.scripts?.[m.check_script ?? 'check.sh']),
    removable: m.kind === 'compose' || Boolean(e.scripts?.[m.uninstall_script ?? 'uninstall.sh']),
  };
}

/** Newest version of each entry, filtered by category and a search over name, id, description and tags. */
export function listEntries(
  cat: Catalog,
  opts: { category?: string | undefined; search?: string | undefined } = {},
): CatalogEntrySummary[] {
  const newest = new Map<string, CatalogEntry>();
  for (const e of cat.entries) {
    const cur = newest.get(e.manifest.id);
    if (!cur || compareVersions(e.manifest.version, cur.manifest.version) > 0) newest.set(e.manifest.id, e);
  }
  const q = opts.search?.trim().toLowerCase();
  return [...newest.values()]
    .filter((e) => !opts.category || e.manifest.category === opts.category)
    .filter((e) => {
      if (!q) return true;
      const m = e.manifest;
      return [m.id, m.name, m.description, m.category, ...m.tags].some((t) => t.toLowerCase().includes(q));
    })
    .sort((a, b) => a.manifest.name.localeCompare(b.manifest.name))
    .map((e) => summary(cat, e));
}
