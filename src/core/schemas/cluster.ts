import { z } from 'zod';
import { nameSchema } from './common.js';

/** A Swarm placement constraint infrakt accepts (an allowlist of the forms Swarm documents). */
export const placementSchema = z
  .string()
  .trim()
  .regex(
    /^node\.(labels\.[A-Za-z0-9][A-Za-z0-9._-]{0,62}|role|hostname|id|platform\.os|platform\.arch)\s*(==|!=)\s*[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/,
    'must look like node.labels.zone==a, node.role==worker or node.hostname!=web-3',
  );

export const clusterSettingsSchema = z.object({
  /** Host port the edge proxy (Caddy, one per node) publishes for the cluster apps' domains. */
  httpPort: z.coerce.number().int().min(1).max(65535).default(80),
  /** Image of the edge proxy; must be reachable by every node (a registry, or loaded beforehand). */
  proxyImage: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._/:@-]{0,254}$/, 'must be an image reference')
    .default('caddy:2'),
  /** IPsec-encrypted overlay (needs the kernel's xfrm/esp modules on every node). */
  encrypted: z.boolean().default(false),
});
export type ClusterSettings = z.output<typeof clusterSettingsSchema>;

export const clusterCreateSchema = z
  .object({
    name: nameSchema,
    /** The server where the swarm is initialised. */
    manager: nameSchema,
    /** More servers that join as managers (with `manager`, an odd number: 3 or 5 survive the loss of 1 or 2). */
    managers: z.array(nameSchema).max(6).default([]),
    workers: z.array(nameSchema).max(50).default([]),
    settings: clusterSettingsSchema.partial().optional(),
  })
  .refine((c) => (1 + c.managers.length) % 2 === 1, {
    // Raft needs a majority of managers: 2 survive no loss (worse than 1: either going down stops the swarm),
    // 4 no more than 3 do.
    message:
      'a cluster needs an odd number of managers (1, 3, 5 or 7): with an even number, a majority survives no more losses than with one fewer',
    path: ['managers'],
  });
export type ClusterCreateInput = z.input<typeof clusterCreateSchema>;

export const clusterAppSchema = z.object({
  cluster: nameSchema,
  replicas: z.coerce.number().int().min(1).max(100).default(1),
  placement: z.array(placementSchema).max(10).default([]),
  maxPerNode: z.coerce.number().int().min(1).max(100).optional(),
});
export type ClusterAppInput = z.input<typeof clusterAppSchema>;
