import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { InfraktError } from '../../core/errors.js';
import { clusterCreateSchema } from '../../core/schemas/cluster.js';
import { nameSchema } from '../../core/schemas/common.js';
import {
  clusterAppPsViewSchema,
  clusterDetailViewSchema,
  clusterViewSchema,
} from '../../core/schemas/views/clusters.js';
import { clusterAppPs, prepareScale } from '../../services/clusters/cluster-app-ops.js';
import { listClusters } from '../../services/clusters/clusters.js';
import { prepareCreateCluster } from '../../services/clusters/create.js';
import { prepareDestroyCluster } from '../../services/clusters/destroy.js';
import { prepareAddNode, prepareRemoveNode } from '../../services/clusters/nodes.js';
import { showCluster } from '../../services/clusters/show.js';
import { type Api, ERRORS, json, REMOTE_ERRORS, type RouteDeps, security } from '../route-kit.js';
import { nameParam, serverQuery } from '../schemas.js';
import { accepted } from './app-job-route.js';

const tags = ['clusters'];
const clusterCreateBody = clusterCreateSchema.meta({ id: 'ClusterCreate' });
const destroyBody = z
  .object({ confirm: z.string().describe('The cluster name, typed again (a destroy cannot be undone)') })
  .meta({ id: 'ClusterDestroy' });
const scaleBody = z
  .object({ replicas: z.number().int().min(0).max(100), server: z.string().optional() })
  .meta({ id: 'AppScale' });

/** Docker Swarm clusters and the replicas of cluster apps (services/clusters). */
export function clusterRoutes(api: Api, deps: RouteDeps): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/clusters',
      tags,
      summary: 'List clusters with their nodes and apps (local state)',
      security,
      responses: { 200: json(z.array(clusterViewSchema), 'Clusters'), ...ERRORS },
    }),
    async (c) => c.json(await listClusters(c.var.ctx), 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/clusters',
      tags,
      summary:
        'Create a Swarm cluster: swarm init on the manager, more managers and workers join with their token over stdin',
      security,
      request: { body: { content: { 'application/json': { schema: clusterCreateBody } }, required: true } },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => deps.startPlan(c, await prepareCreateCluster(c.var.ctx, c.req.valid('json'))),
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/clusters/{name}',
      tags,
      summary: 'One cluster, with its nodes as a reachable manager sees them',
      security,
      request: { params: nameParam },
      responses: { 200: json(clusterDetailViewSchema, 'Cluster'), ...REMOTE_ERRORS },
    }),
    async (c) => c.json(await showCluster(c.var.ctx, c.req.valid('param').name), 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/clusters/{name}/destroy',
      tags,
      summary: 'Destroy a cluster (no apps left on it): edge proxy and network removed, every node leaves the swarm',
      security,
      request: {
        params: nameParam,
        body: { content: { 'application/json': { schema: destroyBody } }, required: true },
      },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const { name } = c.req.valid('param');
      if (c.req.valid('json').confirm !== name) {
        throw new InfraktError('VALIDATION', 'confirm must repeat the cluster name', {
          hint: `send {"confirm": "${name}"}`,
        });
      }
      return deps.startPlan(c, await prepareDestroyCluster(c.var.ctx, name));
    },
  );

  const nodeBody = z
    .object({
      server: nameSchema,
      manager: z.boolean().optional().describe('Join as a manager (default: a worker)'),
    })
    .meta({ id: 'ClusterNode' });
  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/clusters/{name}/nodes',
      tags,
      summary: 'Join a registered server as a worker or a manager (the join token goes over stdin)',
      security,
      request: { params: nameParam, body: { content: { 'application/json': { schema: nodeBody } }, required: true } },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const body = c.req.valid('json');
      return deps.startPlan(
        c,
        await prepareAddNode(c.var.ctx, c.req.valid('param').name, body.server, { manager: body.manager }),
      );
    },
  );

  api.openapi(
    createRoute({
      method: 'delete',
      path: '/api/clusters/{name}/nodes/{server}',
      tags,
      summary: 'Demote a manager, drain the node (its replicas move to other nodes), then it leaves the swarm',
      security,
      request: { params: z.object({ name: nameSchema, server: nameSchema }) },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const p = c.req.valid('param');
      return deps.startPlan(c, await prepareRemoveNode(c.var.ctx, p.name, p.server));
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/apps/{name}/ps',
      tags,
      summary: 'Replicas of a cluster app: node, state and error of each task',
      security,
      request: { params: nameParam, query: serverQuery },
      responses: { 200: json(clusterAppPsViewSchema, 'Replicas'), ...REMOTE_ERRORS },
    }),
    async (c) =>
      c.json(await clusterAppPs(c.var.ctx, c.req.valid('param').name, { server: c.req.valid('query').server }), 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/apps/{name}/scale',
      tags,
      summary: 'Set the replicas of a cluster app; the job ends when they all run healthy',
      security,
      request: { params: nameParam, body: { content: { 'application/json': { schema: scaleBody } }, required: true } },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const body = c.req.valid('json');
      return deps.startPlan(
        c,
        await prepareScale(c.var.ctx, c.req.valid('param').name, body.replicas, { server: body.server }),
      );
    },
  );
}
