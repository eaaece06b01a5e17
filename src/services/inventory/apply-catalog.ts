// What apply does for a catalog install: exactly what `catalog install` and `catalog upgrade` do (the same
// prepare functions, so the same validation, health gate and rollback), with the file's input values.
import { InfraktError } from '../../core/errors.js';
import type { Change } from '../../core/inventory/change.js';
import type { CatalogSpec } from '../../core/inventory/model.js';
import { prepareDestroy } from '../apps/app-lifecycle.js';
import { resolveApp } from '../apps/apps.js';
import { prepareDeploy } from '../apps/deploy/deploy-app.js';
import { catalogSettings } from '../catalog/app-records.js';
import { prepareCatalogInstall } from '../catalog/install.js';
import { prepareCatalogUpgrade } from '../catalog/upgrade.js';
import { prepareProxyReload } from '../proxy/proxy.js';
import { resolveSecretRefs } from '../secrets/secrets.js';
import type { Ctx } from '../shared/context.js';
import type { Job } from './apply-resources.js';
import { appKey } from './desired.js';
import type { InventoryPlan } from './plan.js';

/** The file's input values with `secret:NAME` references resolved (a missing secret fails naming the input). */
async function fileValues(
  ctx: Ctx,
  given: Readonly<Record<string, string>> | undefined,
): Promise<Record<string, string>> {
  const resolved = await resolveSecretRefs(ctx, new Map(Object.entries(given ?? {})));
  return Object.fromEntries([...resolved].map(([k, v]) => [k, v.reveal()]));
}

export async function applyCatalog(
  ctx: Ctx,
  c: Change,
  spec: CatalogSpec | undefined,
  extras: InventoryPlan['desired']['extras'],
  job: Job,
): Promise<string | undefined> {
  if (c.action === 'delete' || c.action === 'replace') {
    await job(await prepareDestroy(ctx, c.name, { server: c.server }));
    if (c.action === 'delete') return 'destroyed';
  }
  if (!spec) throw new InfraktError('INTERNAL', `no spec for catalog install ${c.name}`);
  const values = await fileValues(ctx, extras.catalogInputs.get(appKey(spec.server, spec.name)));
  const catalogDirs = extras.catalogDirs;
  if (c.action === 'create' || c.action === 'replace') {
    const r = await job(
      await prepareCatalogInstall(ctx, {
        entry: spec.entry,
        version: spec.version,
        server: spec.server,
        name: spec.name,
        ...(spec.domain ? { domain: spec.domain } : {}),
        values,
        catalogDirs,
      }),
    );
    // Generated secrets stay in the app's encrypted env: apply prints no credential.
    const generated = r.generated.length ? `; generated ${r.generated.join(', ')} (infrakt env list ${spec.name})` : '';
    return `${r.entry} ${r.version} installed, release ${r.release}${generated}`;
  }
  const touched = new Set(c.fields.map((f) => f.field));
  if (touched.size === 0) {
    // Only drift (the release is not running): deploy the installed version again.
    const r = await job(await prepareDeploy(ctx, spec.name, { server: spec.server, wait: true }));
    return `release ${r.release} serving`;
  }
  const r = await job(
    await prepareCatalogUpgrade(ctx, spec.name, {
      server: spec.server,
      to: touched.has('version') ? spec.version : await installedVersion(ctx, spec),
      values,
      ...(touched.has('domain') ? { domain: spec.domain } : {}),
      catalogDirs,
    }),
  );
  // No new domain means no route for the deploy to switch: the old one leaves Caddy by a reload.
  if (touched.has('domain') && spec.domain === null) await job(await prepareProxyReload(ctx, spec.server));
  return r.from === r.to
    ? `${r.entry} ${r.to} re-rendered, release ${r.release}`
    : `${r.entry} ${r.from} → ${r.to}, release ${r.release}`;
}

/** Without a version change the upgrade re-renders the installed version (never the catalog's newest). */
async function installedVersion(ctx: Ctx, spec: CatalogSpec): Promise<string | undefined> {
  const { app } = await resolveApp(ctx, spec.name, spec.server);
  return catalogSettings(app)?.version;
}
