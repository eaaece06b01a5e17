// What an installed app's manifest says to show (URL, admin user, generated passwords), filled again from the
// values the install stored in the app's encrypted env: the install's page shows them at any time, secrets only
// when a user asks to reveal them.
import { outputsFromEnv } from '../../core/catalog/render.js';
import { InfraktError } from '../../core/errors.js';
import type { AppCatalogOutputs } from '../../core/schemas/views/catalog.js';
import { resolveApp } from '../apps/apps.js';
import { decryptedEnv } from '../apps/env.js';
import type { Ctx } from '../shared/context.js';
import { catalogSettings } from './app-records.js';
import { type CatalogOptions, openCatalog, versionsOf } from './catalog-index.js';

export async function appCatalogOutputs(
  ctx: Ctx,
  appName: string,
  opts: CatalogOptions & { server?: string | undefined; reveal?: boolean } = {},
): Promise<AppCatalogOutputs> {
  const { app, server } = await resolveApp(ctx, appName, opts.server);
  const installed = catalogSettings(app);
  if (!installed)
    throw new InfraktError('VALIDATION', `'${app.name}' was not installed from the catalog`, {
      hint: 'outputs exist for catalog installs only (infrakt catalog installed)',
    });
  const versions = versionsOf(openCatalog(opts), installed.id);
  // The installed version's outputs; the newest one's when that version is no longer in the catalog.
  const m = (versions.find((e) => e.manifest.version === installed.version) ?? versions[0])?.manifest;
  if (!m)
    throw new InfraktError('NOT_FOUND', `catalog entry ${installed.id} is no longer in the catalog`, {
      hint: 'add the folder it came from with --catalog-dir',
    });
  const stored = await decryptedEnv(ctx, app);
  const env = Object.fromEntries([...stored].map(([k, v]) => [k, v.reveal()]));
  const outputs = outputsFromEnv(m, env, { app: app.name, server: server.name, domain: app.domain });
  return {
    app: app.name,
    entry: installed.id,
    version: installed.version,
    outputs: outputs.map((o) => ({
      label: o.label,
      value: o.secret && !opts.reveal ? null : o.value,
      secret: o.secret,
    })),
  };
}
