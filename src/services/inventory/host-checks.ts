// At plan time, a declared host entry's check.sh tells whether its install is in place on the server (exit 0)
// — run on the plan's one connection to that server, with the values apply would use (the file's over the last
// run's), its scripts uploaded to their private dir and removed again. check.sh only looks, by the catalog's
// contract; an entry without one is judged by its record alone.
import type { CatalogEntry } from '../../adapters/catalog/catalog-dir.js';
import type { ServerRow } from '../../adapters/store/schema.js';
import { renderInstallerEnv } from '../../core/catalog/host-installer.js';
import { resolveInputs } from '../../core/catalog/inputs.js';
import { renderEntry } from '../../core/catalog/render.js';
import type { Executor } from '../../core/executor.js';
import type { HostInstallSpec } from '../../core/inventory/model.js';
import { secretRef } from '../../core/schemas/secret.js';
import { findEntry, openCatalog } from '../catalog/catalog-index.js';
import { findHostInstall, hostInstallValues } from '../catalog/host-records.js';
import { checkSystem, hostScripts, removeScripts, runOnce, uploadScripts } from '../catalog/host-run.js';
import { fill, secretValues as secretsOf } from '../catalog/values.js';
import type { Ctx } from '../shared/context.js';

export interface HostCheck {
  readonly entry: CatalogEntry;
  /** The env file's content. */
  readonly env: string;
  readonly secrets: ReturnType<typeof secretsOf>;
}

/**
 * The checks to run on one server: its declared host entries that have a check.sh and whose inputs are all known
 * now (a `secret:NAME` a database of this apply creates is not: that entry is judged by its record).
 */
export async function hostChecksFor(
  ctx: Ctx,
  server: ServerRow,
  specs: readonly HostInstallSpec[],
  given: ReadonlyMap<string, Readonly<Record<string, string>>>,
  secretValues: ReadonlyMap<string, string>,
  catalogDirs: readonly string[],
): Promise<HostCheck[]> {
  const mine = specs.filter((s) => s.server === server.name);
  if (mine.length === 0) return [];
  const cat = openCatalog({ catalogDirs });
  const out: HostCheck[] = [];
  for (const spec of mine) {
    const entry = findEntry(cat, spec.entry, spec.version);
    if (!hostScripts(entry).check) continue;
    const values: Record<string, string> = {};
    let known = true;
    for (const [k, raw] of Object.entries(given.get(`${spec.server}/${spec.name}`) ?? {})) {
      const ref = secretRef(raw);
      const v = ref === null ? raw : secretValues.get(ref);
      if (v === undefined) known = false;
      else values[k] = v;
    }
    if (!known) continue;
    const row = await findHostInstall(ctx, server.id, spec.entry);
    const previous = row ? hostInstallValues(ctx, row) : undefined;
    const r = resolveInputs(entry.manifest.inputs, values, { fill, ...(previous ? { previous } : {}) });
    if (r.issues.length) continue;
    const rendered = renderEntry(entry.manifest, r.values, { app: entry.manifest.id, server: server.name });
    out.push({ entry, env: renderInstallerEnv(rendered.env), secrets: secretsOf(entry.manifest, r.values) });
  }
  return out;
}

/** Runs each check on the open connection; an entry whose check could not run is left out (not judged). */
export async function runHostChecks(
  ex: Executor,
  server: ServerRow,
  checks: readonly HostCheck[],
): Promise<Map<string, boolean>> {
  const out = new Map<string, boolean>();
  for (const c of checks) {
    const script = hostScripts(c.entry).check!;
    let asRoot = false;
    try {
      asRoot = (await checkSystem(ex, c.entry.manifest, server.user)).asRoot;
      await uploadScripts(ex, c.entry, server.root_dir, asRoot);
      const code = await runOnce(
        { ex, entry: c.entry, root: server.root_dir, asRoot, env: c.env, secrets: c.secrets },
        script,
        () => {},
      );
      out.set(c.entry.manifest.id, code === 0);
    } catch {
      // Unsupported system, no sudo, an upload that failed: no verdict, the record decides.
    } finally {
      await removeScripts(ex, c.entry, server.root_dir, asRoot).catch(() => undefined);
    }
  }
  return out;
}
