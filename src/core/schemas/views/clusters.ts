import { z } from 'zod';

const clusterNodeViewSchema = z.object({
  server: z.string(),
  host: z.string(),
  role: z.enum(['manager', 'worker']),
  /** Swarm's node ID (null until the server joined). */
  nodeId: z.string().nullable(),
});

/** A node as the swarm sees it now (`cluster show`, read from a reachable manager). */
const liveNodeViewSchema = z.object({
  id: z.string(),
  hostname: z.string(),
  /** The registered server of this node, when infrakt knows it. */
  server: z.string().nullable(),
  status: z.string(),
  availability: z.string(),
  managerStatus: z.string(),
  engineVersion: z.string(),
});

export const clusterViewSchema = z
  .object({
    name: z.string(),
    status: z.enum(['creating', 'active', 'failed', 'destroying']),
    network: z.string(),
    httpPort: z.number().int(),
    proxyImage: z.string(),
    encrypted: z.boolean(),
    nodes: z.array(clusterNodeViewSchema),
    apps: z.array(z.object({ name: z.string(), replicas: z.number().int(), domain: z.string().nullable() })),
    createdAt: z.string(),
  })
  .meta({ id: 'Cluster' });
export type ClusterView = z.infer<typeof clusterViewSchema>;

export const clusterDetailViewSchema = clusterViewSchema
  .extend({
    /** The manager that answered, and what it reported (null: no manager reachable). */
    manager: z.string().nullable(),
    /** Managers asked before the one that answered, with why they could not act (down, no leader, ...). */
    passedOver: z.array(z.object({ server: z.string(), error: z.string() })),
    live: z.array(liveNodeViewSchema).nullable(),
    error: z.string().nullable(),
  })
  .meta({ id: 'ClusterDetail' });
export type ClusterDetailView = z.infer<typeof clusterDetailViewSchema>;

export const clusterTaskViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  node: z.string(),
  image: z.string(),
  desiredState: z.string(),
  currentState: z.string(),
  error: z.string(),
});

/** `app ps`: the replicas of a cluster app, where they run and in which state. */
export const clusterAppPsViewSchema = z
  .object({
    app: z.string(),
    cluster: z.string(),
    service: z.string(),
    image: z.string(),
    replicas: z.number().int().nullable(),
    running: z.number().int(),
    updateState: z.string().nullable(),
    tasks: z.array(clusterTaskViewSchema),
  })
  .meta({ id: 'ClusterAppPs' });
export type ClusterAppPsView = z.infer<typeof clusterAppPsViewSchema>;

/** Result of a cluster app deploy, rollback or scale job. */
export const clusterDeployResultSchema = z
  .object({
    app: z.string(),
    cluster: z.string(),
    action: z.enum(['deploy', 'rollback', 'scale']),
    release: z.number().int().nullable(),
    image: z.string(),
    replicas: z.number().int(),
    /** Node hostname -> running replicas of the release. */
    perNode: z.record(z.string(), z.number().int()),
    msToConverged: z.number(),
  })
  .meta({ id: 'ClusterDeployResult' });
export type ClusterDeployResult = z.infer<typeof clusterDeployResultSchema>;
