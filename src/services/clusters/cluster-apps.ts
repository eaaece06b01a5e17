import type { Kysely, Transaction } from 'kysely';
import type { AppRow, Database } from '../../adapters/store/schema.js';
import { InfraktError } from '../../core/errors.js';
import { type ClusterAppInput, clusterAppSchema } from '../../core/schemas/cluster.js';
import { parseInput } from '../../core/schemas/parse.js';
import type { Ctx } from '../shared/context.js';
import { getCluster, getClusterById, managersOf } from './clusters.js';

/** The replica settings of a cluster app as the faces show them. */
export interface ClusterAppSettings {
  cluster: string;
  replicas: number;
  placement: string[];
  maxPerNode: number | null;
}

export interface ClusterPlacement {
  clusterId: number;
  /** The cluster's first manager: the app row is recorded there. */
  server: string;
  settings: ClusterAppSettings;
}

/** Validates `--cluster --replicas --placement --max-per-node` before an app is created. */
export async function clusterPlacement(
  ctx: Ctx,
  input: ClusterAppInput,
  app: { image?: string | undefined; git?: string | undefined; composeFile?: string | undefined },
): Promise<ClusterPlacement> {
  const data = parseInput(clusterAppSchema, input, 'cluster app');
  if (app.git || (!app.image && app.composeFile === undefined)) {
    throw new InfraktError('UNSUPPORTED', 'apps on a cluster run images: pass --image or --compose-file', {
      hint: 'git apps build on one server (drop --cluster)',
    });
  }
  const cluster = await getCluster(ctx, data.cluster);
  if (cluster.row.status !== 'active') {
    throw new InfraktError('STATE', `cluster '${data.cluster}' is ${cluster.row.status}, not active`);
  }
  const manager = managersOf(cluster)[0];
  if (!manager) throw new InfraktError('STATE', `cluster '${data.cluster}' has no manager`);
  return {
    clusterId: cluster.row.id,
    server: manager.server.name,
    settings: {
      cluster: data.cluster,
      replicas: data.replicas,
      placement: data.placement,
      maxPerNode: data.maxPerNode ?? null,
    },
  };
}

/** Recorded in the transaction that creates the app row (`db`), so an app is never half on a cluster. */
export async function recordClusterApp(
  ctx: Ctx,
  appId: number,
  p: ClusterPlacement,
  db: Kysely<Database> | Transaction<Database> = ctx.store.db,
): Promise<void> {
  await db
    .insertInto('cluster_apps')
    .values({
      app_id: appId,
      cluster_id: p.clusterId,
      replicas: p.settings.replicas,
      placement_json: JSON.stringify(p.settings.placement),
      max_per_node: p.settings.maxPerNode,
      deployed_image: null,
      previous_image: null,
    })
    .execute();
}

/** The cluster settings of an app, or null for an app on one server. */
export async function clusterAppOf(ctx: Ctx, app: Pick<AppRow, 'id'>) {
  const row = await ctx.store.db.selectFrom('cluster_apps').selectAll().where('app_id', '=', app.id).executeTakeFirst();
  if (!row) return null;
  const cluster = await getClusterById(ctx, row.cluster_id);
  const settings: ClusterAppSettings = {
    cluster: cluster.row.name,
    replicas: row.replicas,
    placement: JSON.parse(row.placement_json) as string[],
    maxPerNode: row.max_per_node,
  };
  return { row, cluster, settings };
}

/** Cluster settings by app id, for lists. */
export async function clusterSettingsByApp(ctx: Ctx): Promise<Map<number, ClusterAppSettings>> {
  const rows = await ctx.store.db
    .selectFrom('cluster_apps')
    .innerJoin('clusters', 'clusters.id', 'cluster_apps.cluster_id')
    .select([
      'cluster_apps.app_id',
      'cluster_apps.replicas',
      'cluster_apps.placement_json',
      'cluster_apps.max_per_node',
    ])
    .select('clusters.name as cluster')
    .execute();
  return new Map(
    rows.map((r) => [
      r.app_id,
      {
        cluster: r.cluster,
        replicas: r.replicas,
        placement: JSON.parse(r.placement_json) as string[],
        maxPerNode: r.max_per_node,
      },
    ]),
  );
}

/** For single-server operations reached with a cluster app: a clear refusal instead of acting on one manager. */
export async function refuseOnCluster(ctx: Ctx, app: Pick<AppRow, 'id' | 'name'>, hint: string): Promise<void> {
  if (await clusterAppOf(ctx, app)) {
    throw new InfraktError('UNSUPPORTED', `'${app.name}' runs on a cluster`, { hint });
  }
}
