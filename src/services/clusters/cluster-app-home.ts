import type { ServerRow } from '../../adapters/store/schema.js';
import { InfraktError } from '../../core/errors.js';
import type { Ctx } from '../shared/context.js';

/**
 * A cluster app is recorded on one of the cluster's managers (its "home": names and domains are unique per
 * server). When that manager leaves the cluster, its cluster apps move to another manager, so forgetting the
 * old server later cannot forget them. Checked before any remote step: a name or domain the new home already
 * has is a conflict.
 */
export async function appsToRehome(ctx: Ctx, clusterId: number, from: ServerRow, to: ServerRow): Promise<number[]> {
  const apps = await ctx.store.db
    .selectFrom('cluster_apps')
    .innerJoin('apps', 'apps.id', 'cluster_apps.app_id')
    .select(['apps.id', 'apps.name'])
    .where('cluster_apps.cluster_id', '=', clusterId)
    .where('apps.server_id', '=', from.id)
    .execute();
  if (!apps.length) return [];
  const ids = apps.map((a) => a.id);
  const names = await ctx.store.db
    .selectFrom('apps')
    .select('name')
    .where('server_id', '=', to.id)
    .where(
      'name',
      'in',
      apps.map((a) => a.name),
    )
    .execute();
  // Domains are unique per server: the primary one on the app row, the others in app_domains.
  const domainsOf = async (where: { ids: number[] } | { server: number }) => {
    const primary = await ctx.store.db
      .selectFrom('apps')
      .select('domain')
      .where('domain', 'is not', null)
      .$call((q) => ('ids' in where ? q.where('id', 'in', where.ids) : q.where('server_id', '=', where.server)))
      .execute();
    const extra = await ctx.store.db
      .selectFrom('app_domains')
      .select('domain')
      .$call((q) => ('ids' in where ? q.where('app_id', 'in', where.ids) : q.where('server_id', '=', where.server)))
      .execute();
    return new Set([...primary.map((r) => r.domain!), ...extra.map((r) => r.domain)]);
  };
  const theirs = await domainsOf({ server: to.id });
  const domains = [...(await domainsOf({ ids }))].filter((d) => theirs.has(d)).map((domain) => ({ domain }));
  const clash = [...names.map((n) => `app name '${n.name}'`), ...domains.map((d) => `domain ${d.domain}`)];
  if (clash.length) {
    throw new InfraktError(
      'CONFLICT',
      `the cluster apps on '${from.name}' cannot move to manager '${to.name}': it has the same ${clash.join(', ')}`,
      { hint: `rename or remove the app on '${to.name}' first` },
    );
  }
  return ids;
}

export async function rehomeApps(ctx: Ctx, ids: readonly number[], to: ServerRow): Promise<void> {
  if (!ids.length) return;
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx.updateTable('apps').set({ server_id: to.id }).where('id', 'in', ids).execute();
    await trx.updateTable('app_domains').set({ server_id: to.id }).where('app_id', 'in', ids).execute();
  });
}
