// What apply does for a host entry of the catalog: its installer as a job (the same job `catalog install` runs,
// so the same OS check, exit-code contract, retries and check.sh), with the file's inputs over the values of the
// last run; a changed input or version reinstalls even where check.sh says it is in place; a delete runs the
// entry's uninstall.sh.
import { InfraktError } from '../../core/errors.js';
import type { Change } from '../../core/inventory/change.js';
import type { HostInstallSpec } from '../../core/inventory/model.js';
import { findEntry, openCatalog } from '../catalog/catalog-index.js';
import { findHostInstall, hostInstallValues } from '../catalog/host-records.js';
import { prepareHostInstall } from '../catalog/install-host.js';
import { prepareHostUninstall } from '../catalog/uninstall-host.js';
import { resolveSecretRefs } from '../secrets/secrets.js';
import { getServerRow } from '../servers/servers.js';
import type { Ctx } from '../shared/context.js';
import type { Job } from './apply-resources.js';
import { appKey } from './desired.js';
import type { InventoryPlan } from './plan.js';

export async function applyHost(
  ctx: Ctx,
  c: Change,
  spec: HostInstallSpec | undefined,
  extras: InventoryPlan['desired']['extras'],
  job: Job,
): Promise<string | undefined> {
  const catalogDirs = extras.catalogDirs;
  if (c.action === 'delete') {
    const r = await job(await prepareHostUninstall(ctx, c.server, c.name, { catalogDirs }));
    return `${r.entry} ${r.version} uninstalled`;
  }
  if (!spec) throw new InfraktError('INTERNAL', `no spec for host entry ${c.name}`);
  const given = extras.catalogInputs.get(appKey(spec.server, spec.name)) ?? {};
  const resolved = await resolveSecretRefs(ctx, new Map(Object.entries(given)));
  const values = Object.fromEntries([...resolved].map(([k, v]) => [k, v.reveal()]));
  const server = await getServerRow(ctx, spec.server);
  const row = await findHostInstall(ctx, server.id, spec.entry);
  const entry = findEntry(openCatalog({ catalogDirs }), spec.entry, spec.version);
  const r = await job(
    await prepareHostInstall(
      ctx,
      entry,
      { server: spec.server, values },
      {
        // Changed inputs or version: install.sh runs even where check.sh passes (it may not look at them).
        reinstall: c.action === 'update' && c.fields.length > 0,
        ...(row ? { previous: hostInstallValues(ctx, row) } : {}),
      },
    ),
  );
  // Generated secrets stay sealed in the install's record: apply prints no credential.
  return r.outcome === 'unchanged'
    ? `${r.entry} ${r.version} already in place (check.sh)`
    : `${r.entry} ${r.version} installed${(r.attempts ?? 1) > 1 ? ` after ${r.attempts} attempts` : ''}`;
}
