import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { deploymentViewSchema } from '../../core/schemas/views/apps.js';
import { prepareDeploy } from '../../services/apps/deploy/deploy-app.js';
import { listDeployments } from '../../services/apps/releases.js';
import { prepareRollback } from '../../services/apps/rollback.js';
import { clusterDeployPlan, clusterRollbackPlan } from '../../services/clusters/cluster-app-ops.js';
import { type Api, json, REMOTE_ERRORS, type RouteDeps, security } from '../route-kit.js';
import { nameParam, serverQuery } from '../schemas.js';
import { deployAppBody, rollbackBody } from '../schemas-remote.js';
import { accepted } from './app-job-route.js';

const tags = ['apps'];

/** Releases: deploy, rollback and their history (services/apps/deploy, rollback, releases). */
export function deployRoutes(api: Api, deps: RouteDeps): void {
  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/apps/{name}/deploy',
      tags,
      summary: 'Deploy: the new release starts beside the old one and gets traffic once healthy',
      security,
      request: {
        params: nameParam,
        query: serverQuery,
        body: { content: { 'application/json': { schema: deployAppBody } }, required: false },
      },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      // Body optional: a bare POST (no Content-Type) validates as {}.
      const body = c.req.valid('json');
      const name = c.req.valid('param').name;
      const opts = {
        server: body.server ?? c.req.valid('query').server,
        wait: body.wait,
        commit: body.commit,
        localImage: body.localImage,
      };
      const onCluster = await clusterDeployPlan(c.var.ctx, name, opts);
      return onCluster ? deps.startPlan(c, onCluster) : deps.startPlan(c, await prepareDeploy(c.var.ctx, name, opts));
    },
  );
  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/apps/{name}/rollback',
      tags,
      summary: 'Switch back to a kept release (default: the one before the current), health-gated',
      security,
      request: {
        params: nameParam,
        query: serverQuery,
        body: { content: { 'application/json': { schema: rollbackBody } }, required: false },
      },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const opts = { server: body.server ?? c.req.valid('query').server, to: body.release, wait: body.wait };
      const name = c.req.valid('param').name;
      const onCluster = await clusterRollbackPlan(c.var.ctx, name, opts);
      return onCluster ? deps.startPlan(c, onCluster) : deps.startPlan(c, await prepareRollback(c.var.ctx, name, opts));
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/apps/{name}/deployments',
      tags,
      summary: 'Deployment history, newest first',
      security,
      request: {
        params: nameParam,
        query: serverQuery.extend({ limit: z.coerce.number().int().min(1).max(500).optional() }),
      },
      responses: { 200: json(z.array(deploymentViewSchema), 'Deployments'), ...REMOTE_ERRORS },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const list = await listDeployments(c.var.ctx, c.req.valid('param').name, {
        server: q.server,
        limit: q.limit,
      });
      return c.json(list, 200);
    },
  );
}
