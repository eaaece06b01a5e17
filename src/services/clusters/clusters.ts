import type { ClusterRow, ServerRow } from '../../adapters/store/schema.js';
import { notFound } from '../../core/errors.js';
import { type ClusterSettings, clusterSettingsSchema } from '../../core/schemas/cluster.js';
import { nameSchema } from '../../core/schemas/common.js';
import { parseInput } from '../../core/schemas/parse.js';
import type { ClusterView } from '../../core/schemas/views/clusters.js';
import { networkOf } from '../../core/swarm/stack.js';
import type { Ctx } from '../shared/context.js';

/** Cluster records (local state): the cluster, its member servers with their roles, its apps. */

export interface ClusterMember {
  server: ServerRow;
  role: 'manager' | 'worker';
  nodeId: string | null;
}

export interface ClusterRecord {
  row: ClusterRow;
  settings: ClusterSettings;
  network: string;
  /** Managers first (the first one is where apps are recorded), then workers, each by server name. */
  members: ClusterMember[];
}

export const clusterSettings = (row: Pick<ClusterRow, 'settings_json'>): ClusterSettings =>
  clusterSettingsSchema.parse(JSON.parse(row.settings_json || '{}'));

export async function getCluster(ctx: Ctx, name: string): Promise<ClusterRecord> {
  parseInput(nameSchema, name, 'cluster name');
  const row = await ctx.store.db.selectFrom('clusters').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) throw notFound('cluster', name, 'list clusters with: infrakt cluster list');
  return loadRecord(ctx, row);
}

export async function getClusterById(ctx: Ctx, id: number): Promise<ClusterRecord> {
  const row = await ctx.store.db.selectFrom('clusters').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  return loadRecord(ctx, row);
}

async function loadRecord(ctx: Ctx, row: ClusterRow): Promise<ClusterRecord> {
  const nodes = await ctx.store.db
    .selectFrom('cluster_nodes')
    .innerJoin('servers', 'servers.id', 'cluster_nodes.server_id')
    .selectAll('servers')
    .select(['cluster_nodes.role as node_role', 'cluster_nodes.node_id as swarm_node_id'])
    .where('cluster_nodes.cluster_id', '=', row.id)
    .execute();
  const members = nodes
    .map(({ node_role, swarm_node_id, ...server }) => ({ server, role: node_role, nodeId: swarm_node_id }))
    .sort((a, b) => (a.role === b.role ? a.server.name.localeCompare(b.server.name) : a.role === 'manager' ? -1 : 1));
  return { row, settings: clusterSettings(row), network: networkOf(row.name), members };
}

export const managersOf = (c: ClusterRecord): ClusterMember[] => c.members.filter((m) => m.role === 'manager');

export async function clusterApps(ctx: Ctx, clusterId: number) {
  return ctx.store.db
    .selectFrom('cluster_apps')
    .innerJoin('apps', 'apps.id', 'cluster_apps.app_id')
    .select(['apps.id', 'apps.name', 'apps.domain', 'apps.port', 'cluster_apps.replicas'])
    .where('cluster_apps.cluster_id', '=', clusterId)
    .orderBy('apps.name')
    .execute();
}

export async function toClusterView(ctx: Ctx, c: ClusterRecord): Promise<ClusterView> {
  const apps = await clusterApps(ctx, c.row.id);
  return {
    name: c.row.name,
    status: c.row.status,
    network: c.network,
    httpPort: c.settings.httpPort,
    proxyImage: c.settings.proxyImage,
    encrypted: c.settings.encrypted,
    nodes: c.members.map((m) => ({ server: m.server.name, host: m.server.host, role: m.role, nodeId: m.nodeId })),
    apps: apps.map((a) => ({ name: a.name, replicas: a.replicas, domain: a.domain })),
    createdAt: c.row.created_at,
  };
}

export async function listClusters(ctx: Ctx): Promise<ClusterView[]> {
  const rows = await ctx.store.db.selectFrom('clusters').selectAll().orderBy('name').execute();
  return Promise.all(rows.map(async (r) => toClusterView(ctx, await loadRecord(ctx, r))));
}

/** The cluster a server belongs to, if any. */
export async function clusterOfServer(ctx: Ctx, serverId: number): Promise<string | null> {
  const row = await ctx.store.db
    .selectFrom('cluster_nodes')
    .innerJoin('clusters', 'clusters.id', 'cluster_nodes.cluster_id')
    .select('clusters.name')
    .where('cluster_nodes.server_id', '=', serverId)
    .executeTakeFirst();
  return row?.name ?? null;
}

/** Job lock of a cluster: one membership change or app rollout planning at a time. */
export const clusterLock = (clusterId: number): string => `cluster:${clusterId}`;
