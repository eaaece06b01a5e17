import { createRoute } from '@hono/zod-openapi';
import { z } from 'zod';
import { isInfraktError } from '../../core/errors.js';
import { serverRemovedSchema, serverViewSchema } from '../../core/schemas/views/servers.js';
import { updateServerSettings } from '../../services/servers/server-update.js';
import { getServer, listServers, registerServer, removeServer } from '../../services/servers/servers.js';
import { setServerSettings } from '../../services/servers/settings.js';
import { type Api, ERRORS, isTrue, json, REMOTE_ERRORS, type RouteDeps, security } from '../route-kit.js';
import { forceQuery, nameParam, serverAddBody } from '../schemas.js';
import { serverSettingsBody, serverUpdateBody } from '../schemas-remote.js';
import { accepted } from './app-job-route.js';

const tags = ['servers'];

/** Server registry routes (local state only; remote operations are in server-remote routes). */
export function serverRoutes(api: Api, deps: RouteDeps): void {
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/servers',
      tags,
      summary: 'List servers with status and app count',
      security,
      responses: { 200: json(z.array(serverViewSchema), 'Servers'), ...ERRORS },
    }),
    async (c) => (await deps.reads.json(c, 'servers', () => listServers(c.var.ctx))) as never,
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/servers',
      tags,
      summary: 'Register a server (then test it to pin its host key)',
      security,
      request: { body: { content: { 'application/json': { schema: serverAddBody } }, required: true } },
      responses: { 201: json(serverViewSchema, 'Registered'), ...ERRORS },
    }),
    async (c) => {
      // Over the API: key files only from $INFRAKT_HOME/keys, and no `local` server without the opt-in.
      const row = await registerServer(c.var.ctx, c.req.valid('json'), {
        keysIn: c.var.ctx.paths.keys,
        allowLocal: deps.allowLocalServer,
      });
      c.header('Location', `/api/servers/${row.name}`);
      return c.json(await getServer(c.var.ctx, row.name), 201);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/servers/{name}',
      tags,
      summary: 'One server',
      security,
      request: { params: nameParam },
      responses: { 200: json(serverViewSchema, 'Server'), ...ERRORS },
    }),
    async (c) => c.json(await getServer(c.var.ctx, c.req.valid('param').name), 200),
  );

  api.openapi(
    createRoute({
      method: 'delete',
      path: '/api/servers/{name}',
      tags,
      summary: 'Forget a server locally (409 when it has apps, unless force=true; nothing on the server changes)',
      description: 'When a policy asks for approval: 202 with the held request (a job in approval_pending).',
      security,
      request: { params: nameParam, query: forceQuery },
      responses: {
        200: json(serverRemovedSchema, 'Removed'),
        ...accepted,
        ...ERRORS,
      },
    }),
    async (c) => {
      const { name } = c.req.valid('param');
      try {
        const res = await removeServer(c.var.ctx, name, { force: isTrue(c.req.valid('query').force) });
        const edge = res.edgeKeyRevokedAt
          ? { edgeKeyRevokedAt: res.edgeKeyRevokedAt, edgeSessionEnded: res.edgeSessionEnded }
          : {};
        return c.json({ removed: name, apps: res.apps, ...edge }, 200);
      } catch (e) {
        const jobId = isInfraktError(e) && e.code === 'APPROVAL_PENDING' ? e.details?.jobId : undefined;
        if (typeof jobId === 'string') return deps.accepted(c, jobId);
        throw e;
      }
    },
  );

  api.openapi(
    createRoute({
      method: 'patch',
      path: '/api/servers/{name}',
      tags,
      summary: 'Change host, port, user, key or root: saved only once a connection with them worked',
      security,
      request: {
        params: nameParam,
        body: { content: { 'application/json': { schema: serverUpdateBody } }, required: true },
      },
      responses: { 200: json(serverViewSchema, 'Updated'), ...REMOTE_ERRORS },
    }),
    async (c) => {
      const r = await updateServerSettings(c.var.ctx, c.req.valid('param').name, c.req.valid('json'));
      return c.json(r.server, 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'patch',
      path: '/api/servers/{name}/settings',
      tags,
      summary: 'Pull policy, certificates (ACME e-mail, private CA and its root) and private git hosts',
      security,
      request: {
        params: nameParam,
        body: { content: { 'application/json': { schema: serverSettingsBody } }, required: true },
      },
      responses: { 200: json(serverViewSchema, 'The server with its settings now'), ...ERRORS },
    }),
    async (c) => {
      const b = c.req.valid('json');
      const name = c.req.valid('param').name;
      const acmeGiven = b.acmeEmail !== undefined || b.acmeCa !== undefined || b.acmeCaRoot !== undefined;
      await setServerSettings(c.var.ctx, name, {
        pull: b.pullPolicy,
        acme: acmeGiven ? { email: b.acmeEmail, ca: b.acmeCa, caRoot: b.acmeCaRoot } : undefined,
        allowPrivateGit: b.allowPrivateGit === undefined ? undefined : b.allowPrivateGit ? 'on' : 'off',
      });
      return c.json(await getServer(c.var.ctx, name), 200);
    },
  );
}
