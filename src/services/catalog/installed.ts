import type { AppCatalogStatus, CatalogInstalled } from '../../core/schemas/views/catalog.js';
import { resolveApp } from '../apps/apps.js';
import { getServerRow } from '../servers/servers.js';
import { visible } from '../shared/access.js';
import type { Ctx } from '../shared/context.js';
import { catalogSettings } from './app-records.js';
import { type CatalogOptions, compareVersions, openCatalog, versionsOf } from './catalog-index.js';
import { hostScripts } from './host-run.js';

export type InstalledView = CatalogInstalled;

/** Apps whose settings name a catalog entry, then host entries run on servers. */
export async function listInstalled(
  ctx: Ctx,
  opts: CatalogOptions & { server?: string | undefined } = {},
): Promise<InstalledView[]> {
  const server = opts.server ? await getServerRow(ctx, opts.server) : null;
  let apps = ctx.store.db
    .selectFrom('apps')
    .innerJoin('servers', 'servers.id', 'apps.server_id')
    .selectAll('apps')
    .select('servers.name as server_name')
    .where('apps.settings_json', 'like', '%"catalog":%');
  if (server) apps = apps.where('apps.server_id', '=', server.id);
  let hosts = ctx.store.db
    .selectFrom('catalog_host_installs')
    .innerJoin('servers', 'servers.id', 'catalog_host_installs.server_id')
    .selectAll('catalog_host_installs')
    .select('servers.name as server_name');
  if (server) hosts = hosts.where('catalog_host_installs.server_id', '=', server.id);
  const out: InstalledView[] = [];
  for (const a of await apps.execute()) {
    const cat = catalogSettings(a);
    if (!cat) continue;
    out.push({
      name: a.name,
      entry: cat.id,
      version: cat.version,
      kind: 'compose',
      server: a.server_name,
      status: a.status,
      domain: a.domain,
      updatedAt: a.updated_at,
      removable: true,
    });
  }
  const hostRows = await hosts.execute();
  const cat = hostRows.length ? openCatalog(opts) : null;
  for (const h of hostRows) {
    const entry = cat ? versionsOf(cat, h.entry_id).find((e) => e.manifest.version === h.version) : undefined;
    out.push({
      name: h.entry_id,
      entry: h.entry_id,
      version: h.version,
      kind: 'host',
      server: h.server_name,
      status: h.status,
      domain: null,
      updatedAt: h.updated_at,
      removable: entry !== undefined && hostScripts(entry).uninstall !== null,
    });
  }
  // A scoped caller (API token, user with server limits) sees only its servers and apps.
  const shown = visible(ctx, out, (r) =>
    r.kind === 'compose' ? { server: r.server, app: r.name } : { server: r.server },
  );
  return shown.sort((a, b) => a.server.localeCompare(b.server) || a.name.localeCompare(b.name));
}

/** The entry and version an app runs, and whether the catalog has a newer one (the dashboard's Upgrade). */
export async function appCatalogStatus(
  ctx: Ctx,
  appName: string,
  opts: CatalogOptions & { server?: string | undefined } = {},
): Promise<AppCatalogStatus> {
  const { app } = await resolveApp(ctx, appName, opts.server);
  const installed = catalogSettings(app);
  if (!installed) return { catalog: null };
  const newest = versionsOf(openCatalog(opts), installed.id)[0]?.manifest ?? null;
  return {
    catalog: {
      entry: installed.id,
      name: newest?.name ?? null,
      version: installed.version,
      newest: newest?.version ?? null,
      upgradeAvailable: newest !== null && compareVersions(newest.version, installed.version) > 0,
      upgradeNotes: newest?.upgrade_notes ?? null,
    },
  };
}
