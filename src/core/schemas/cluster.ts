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

export const clusterCreateSchema = z.object({
  name: nameSchema,
  manager: nameSchema,
  workers: z.array(nameSchema).max(50).default([]),
  settings: clusterSettingsSchema.partial().optional(),
});
export type ClusterCreateInput = z.input<typeof clusterCreateSchema>;

export const clusterAppSchema = z.object({
  cluster: nameSchema,
  replicas: z.coerce.number().int().min(1).max(100).default(1),
  placement: z.array(placementSchema).max(10).default([]),
  maxPerNode: z.coerce.number().int().min(1).max(100).optional(),
});
export type ClusterAppInput = z.input<typeof clusterAppSchema>;
