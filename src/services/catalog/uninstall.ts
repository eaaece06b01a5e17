// `catalog uninstall NAME`: one verb for whatever `catalog installed` lists. A host entry runs its uninstall.sh
// (uninstall-host.ts: the install's exit-code contract, the record kept unless it exits 0); an app installed from
// a compose entry is destroyed the way `app destroy` does it (named volumes kept unless `volumes`). Everything that
// can be refused is refused here, before a job exists: an unknown or ambiguous name, an entry without an uninstall
// script, `volumes` for a host entry.
import { InfraktError } from '../../core/errors.js';
import { prepareDestroy } from '../apps/app-lifecycle.js';
import { getServerRow } from '../servers/servers.js';
import type { Ctx } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import type { CatalogOptions } from './catalog-index.js';
import { type InstalledView, listInstalled } from './installed.js';
import { prepareHostUninstall } from './uninstall-host.js';

export interface CatalogUninstallOptions extends CatalogOptions {
  readonly server?: string | undefined;
  /** Only when an app and a host entry share the name on one server. */
  readonly kind?: 'compose' | 'host' | undefined;
  /** Apps: also remove named volumes and bind-mount data (as `app destroy --volumes`). */
  readonly volumes?: boolean | undefined;
}

export interface CatalogUninstallTarget {
  readonly name: string;
  readonly entry: string;
  readonly kind: 'compose' | 'host';
  readonly server: string;
}

/** The one installed thing NAME designates (with --server / --kind), or a worded refusal. */
export async function findInstalled(
  ctx: Ctx,
  name: string,
  opts: Pick<CatalogUninstallOptions, 'server' | 'kind' | 'catalogDirs'> = {},
): Promise<CatalogUninstallTarget> {
  if (opts.server) await getServerRow(ctx, opts.server);
  const rows = (await listInstalled(ctx, { server: opts.server, catalogDirs: opts.catalogDirs })).filter(
    (r) => r.name === name && (!opts.kind || r.kind === opts.kind),
  );
  if (rows.length === 0)
    throw new InfraktError(
      'NOT_FOUND',
      `nothing named '${name}' is installed from the catalog${opts.server ? ` on ${opts.server}` : ''}`,
      { hint: 'see the names with: infrakt catalog installed' },
    );
  if (rows.length > 1) {
    const where = rows.map((r: InstalledView) => `${r.kind === 'host' ? 'host entry' : 'app'} on ${r.server}`);
    const servers = new Set(rows.map((r) => r.server));
    throw new InfraktError('CONFLICT', `'${name}' is installed more than once: ${where.join(', ')}`, {
      hint: servers.size > 1 ? 'pass --server <name> to choose one' : 'pass --kind host or --kind compose',
    });
  }
  const r = rows[0]!;
  return { name: r.name, entry: r.entry, kind: r.kind, server: r.server };
}

export async function prepareCatalogUninstall(
  ctx: Ctx,
  name: string,
  opts: CatalogUninstallOptions = {},
): Promise<{ target: CatalogUninstallTarget; plan: JobPlan<unknown> }> {
  const target = await findInstalled(ctx, name, opts);
  if (target.kind === 'host') {
    if (opts.volumes)
      throw new InfraktError('VALIDATION', `--volumes applies to apps; ${name} is a host entry`, {
        hint: 'a host entry’s uninstall.sh decides what goes (see docs/catalog.md); run it without --volumes',
      });
    const catalog = opts.catalogDirs ? { catalogDirs: opts.catalogDirs } : {};
    return { target, plan: await prepareHostUninstall(ctx, target.server, target.entry, catalog) };
  }
  return { target, plan: await prepareDestroy(ctx, name, { server: target.server, volumes: Boolean(opts.volumes) }) };
}
