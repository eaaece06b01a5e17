import type { Ctx } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { type CatalogOptions, findEntry, openCatalog } from './catalog-index.js';
import { type CatalogInstallResult, prepareComposeInstall } from './install-compose.js';
import { prepareHostInstall } from './install-host.js';

export interface CatalogInstallRequest extends CatalogOptions {
  readonly entry: string;
  readonly version?: string | undefined;
  readonly server: string;
  /** App name (compose entries; default: the entry id). */
  readonly name?: string | undefined;
  readonly domain?: string | undefined;
  /** Input values by input name (`--set name=value`, `--values FILE`, the form). */
  readonly values?: Readonly<Record<string, string>>;
}

/**
 * Validates an install completely (entry, inputs, server, name and domain free) and returns it as a job:
 * nothing is written and nothing runs on the server before this passes.
 */
export async function prepareCatalogInstall(
  ctx: Ctx,
  req: CatalogInstallRequest,
): Promise<JobPlan<CatalogInstallResult>> {
  const entry = findEntry(openCatalog(req), req.entry, req.version);
  const target = { server: req.server, name: req.name, domain: req.domain, values: req.values ?? {} };
  return entry.manifest.kind === 'compose'
    ? prepareComposeInstall(ctx, entry, target)
    : prepareHostInstall(ctx, entry, target);
}
