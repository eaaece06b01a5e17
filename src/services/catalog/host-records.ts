// The record of a host entry's last run on a server, with every input value it had (unsealed here only).

import type { Selectable } from 'kysely';
import type { CatalogHostInstallsTable } from '../../adapters/store/schema.js';
import type { Ctx } from '../shared/context.js';
import { hostValuesPurpose } from './install-host.js';

export type HostInstallRow = Selectable<CatalogHostInstallsTable>;

/**
 * The values of a run: sealed ones when kept (every input), else the non-secret ones of a record written before
 * values were sealed. A value sealed for another server or entry fails to open.
 */
export function hostInstallValues(ctx: Ctx, row: HostInstallRow): Record<string, string> {
  if (row.values_sealed === null) return JSON.parse(row.values_json) as Record<string, string>;
  const text = ctx.cipher.open(
    hostValuesPurpose(row.server_id, row.entry_id),
    row.values_sealed,
    `the inputs of host entry ${row.entry_id}`,
  );
  return JSON.parse(text) as Record<string, string>;
}

export async function findHostInstall(
  ctx: Ctx,
  serverId: number,
  entryId: string,
): Promise<HostInstallRow | undefined> {
  return ctx.store.db
    .selectFrom('catalog_host_installs')
    .selectAll()
    .where('server_id', '=', serverId)
    .where('entry_id', '=', entryId)
    .executeTakeFirst();
}
