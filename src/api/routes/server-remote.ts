import { createRoute } from '@hono/zod-openapi';
import { InfraktError } from '../../core/errors.js';
import { jobAcceptedSchema } from '../../core/schemas/views/jobs.js';
import { probeResultSchema, serverStatusSchema, trustResultSchema } from '../../core/schemas/views/servers.js';
import { prepareProvision } from '../../services/servers/provision.js';
import { fleetExec, serverStatus, testServer, trustServer } from '../../services/servers/server-remote.js';
import { getServerRow } from '../../services/servers/servers.js';
import { type Api, json, REMOTE_ERRORS, type RouteDeps, security } from '../route-kit.js';
import { nameParam } from '../schemas.js';
import { execBody, provisionBody, trustBody } from '../schemas-remote.js';

const tags = ['servers'];
const accepted = { 202: json(jobAcceptedSchema, 'Job started; follow it at Location') };

/** Operations on a server over SSH: checks answer at once, changes run as jobs (202). */
export function serverRemoteRoutes(api: Api, deps: RouteDeps): void {
  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/servers/{name}/test',
      tags,
      summary: 'Connect and run a trivial command; pins the host key on first success (TOFU)',
      description: 'Answers 200 whatever the outcome: see `status` and `error` in the result.',
      security,
      request: { params: nameParam },
      responses: { 200: json(probeResultSchema, 'Probe result'), ...REMOTE_ERRORS },
    }),
    async (c) => c.json(await testServer(c.var.ctx, c.req.valid('param').name), 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/servers/{name}/trust',
      tags,
      summary: 'Re-pin the host key after a legitimate change; only the fingerprint you verified is accepted',
      security,
      request: {
        params: nameParam,
        body: { content: { 'application/json': { schema: trustBody } }, required: true },
      },
      responses: { 200: json(trustResultSchema, 'Pinned'), ...REMOTE_ERRORS },
    }),
    async (c) => {
      const { fingerprint } = c.req.valid('json');
      return c.json(await trustServer(c.var.ctx, c.req.valid('param').name, { fingerprint }), 200);
    },
  );

  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/servers/{name}/status',
      tags,
      summary: 'Live metrics: uptime, load, memory, disks and containers (one SSH round trip)',
      security,
      request: { params: nameParam },
      responses: { 200: json(serverStatusSchema, 'Status'), ...REMOTE_ERRORS },
    }),
    async (c) => c.json(await serverStatus(c.var.ctx, c.req.valid('param').name), 200),
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/servers/{name}/provision',
      tags,
      summary: 'Turn a fresh VM into an infrakt host (idempotent job); dryRun only reports',
      security,
      request: {
        params: nameParam,
        body: { content: { 'application/json': { schema: provisionBody } }, required: false },
      },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const body = c.req.valid('json'); // optional: a bare POST validates as {}
      return deps.startPlan(
        c,
        await prepareProvision(c.var.ctx, c.req.valid('param').name, { dryRun: Boolean(body.dryRun) }),
      );
    },
  );

  api.openapi(
    createRoute({
      method: 'post',
      path: '/api/servers/{name}/exec',
      tags,
      summary: 'Run a shell command on the server as a job; output goes to the job log, the exit code to its result',
      security,
      request: {
        params: nameParam,
        body: { content: { 'application/json': { schema: execBody } }, required: true },
      },
      responses: { ...accepted, ...REMOTE_ERRORS },
    }),
    async (c) => {
      const ctx = c.var.ctx;
      const server = await getServerRow(ctx, c.req.valid('param').name);
      const { command, timeoutMs } = c.req.valid('json');
      return deps.startPlan(c, {
        spec: { kind: 'server.exec', target: server.name, serverId: server.id, params: { command } },
        body: (job) =>
          job.step('exec', async (s) => {
            const [r] = await fleetExec(ctx, {
              servers: [server.name],
              command,
              signal: job.signal,
              timeoutMs,
              onLine: (_server, stream, line) => s.log(line, stream),
            });
            if (!r) throw new InfraktError('INTERNAL', 'exec returned no result');
            if (r.error)
              throw new InfraktError(r.error.code as InfraktError['code'], r.error.message, { hint: r.error.hint });
            s.exitCode(r.exitCode ?? -1);
            if (r.exitCode !== 0) {
              throw new InfraktError('COMMAND_FAILED', `the command exited ${r.exitCode} on ${server.name}`);
            }
            return { server: r.server, exitCode: r.exitCode, durationMs: r.durationMs };
          }),
      });
    },
  );
}
