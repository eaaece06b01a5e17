import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { INSPECT_COMMANDS, inspectCommand } from '../core/inspect/allowlist.js';
import { JOB_STATUSES } from '../core/jobs.js';
import { nameSchema } from '../core/schemas/common.js';
import { appLogs } from '../services/apps/app-lifecycle.js';
import { listApps, resolveApp, toAppView } from '../services/apps/apps.js';
import { listDeployments } from '../services/apps/releases.js';
import { listBackups } from '../services/databases/backups.js';
import { listDatabases } from '../services/databases/databases.js';
import { planInventory } from '../services/inventory/plan.js';
import { getJob, jobLogs, listJobs } from '../services/jobs/job-access.js';
import { resolveJobRef } from '../services/jobs/job-ref.js';
import { listProxyRoutes } from '../services/proxy/proxy.js';
import { serverStatus } from '../services/servers/server-remote.js';
import { getServerRow, listServers } from '../services/servers/servers.js';
import type { Ctx } from '../services/shared/context.js';
import { catalogDirsArg, type ToolRunner, withCatalogDirs } from './tool-kit.js';

const server = nameSchema.describe('server name');
const optServer = nameSchema.optional().describe('server name (when the name is used on several servers)');
const MAX_OUTPUT = 64 * 1024;

const cap = (text: string) => (text.length > MAX_OUTPUT ? `${text.slice(0, MAX_OUTPUT)}\n[… truncated]` : text);

/** Read-only tools: always registered. Results are views (no env values, passwords or keys) and scrubbed. */
export function registerReadTools(
  mcp: McpServer,
  ctx: Ctx,
  tool: ToolRunner,
  catalogDirs: readonly string[] = [],
): void {
  mcp.registerTool(
    'list_servers',
    {
      description: 'Servers infrakt manages: name, host, status, pinned host key fingerprint, app count.',
      inputSchema: {},
      annotations: { readOnlyHint: true },
    },
    tool('list_servers', async () => ({ servers: await listServers(ctx) })),
  );
  mcp.registerTool(
    'list_apps',
    {
      description: 'Apps (not databases): type, server, status, domain, source, current release.',
      inputSchema: { server: optServer },
      annotations: { readOnlyHint: true },
    },
    tool('list_apps', async (a: { server?: string }) => ({
      apps: await listApps(ctx, a.server ? { server: a.server } : {}),
    })),
  );
  mcp.registerTool(
    'list_databases',
    {
      description: 'Databases: type, version, status, port on the server, backup schedule. Never passwords.',
      inputSchema: { server: optServer },
      annotations: { readOnlyHint: true },
    },
    tool('list_databases', async (a: { server?: string }) => ({
      databases: await listDatabases(ctx, a.server ? { server: a.server } : {}),
    })),
  );
  mcp.registerTool(
    'list_jobs',
    {
      description: 'Recent jobs (deploys, provisions, backups …) with status, steps and errors.',
      inputSchema: { status: z.enum(JOB_STATUSES).optional(), limit: z.number().int().min(1).max(100).optional() },
      annotations: { readOnlyHint: true },
    },
    tool('list_jobs', async (a: { status?: (typeof JOB_STATUSES)[number]; limit?: number }) => ({
      jobs: await listJobs(ctx, { limit: a.limit ?? 20, ...(a.status ? { status: a.status } : {}) }),
    })),
  );
  mcp.registerTool(
    'server_status',
    {
      description: 'Live status of a server over SSH: uptime, load, memory, disks, containers.',
      inputSchema: { server },
      annotations: { readOnlyHint: true },
    },
    tool('server_status', async (a: { server: string }) => serverStatus(ctx, a.server)),
  );
  mcp.registerTool(
    'app_status',
    {
      description: 'One app with its recent deployments (release, source digest/commit, status, who).',
      inputSchema: { app: nameSchema, server: optServer },
      annotations: { readOnlyHint: true },
    },
    tool('app_status', async (a: { app: string; server?: string }) => {
      const { app, server: srv } = await resolveApp(ctx, a.app, a.server);
      return {
        app: toAppView(app, srv.name),
        deployments: await listDeployments(ctx, a.app, { server: srv.name, limit: 10 }),
      };
    }),
  );
  mcp.registerTool(
    'app_logs',
    {
      description: 'The last lines of an app’s current release (at most 500), with secret values redacted.',
      inputSchema: { app: nameSchema, server: optServer, lines: z.number().int().min(1).max(500).optional() },
      annotations: { readOnlyHint: true },
    },
    tool('app_logs', async (a: { app: string; server?: string; lines?: number }) => {
      const out: string[] = [];
      await appLogs(ctx, a.app, {
        ...(a.server ? { server: a.server } : {}),
        lines: a.lines ?? 100,
        onLine: (_s, l) => void out.push(l),
      });
      return { app: a.app, lines: out.slice(-(a.lines ?? 100)) };
    }),
  );
  mcp.registerTool(
    'job_log',
    {
      description:
        "A job with its steps and its (already redacted) log lines. `job`: its id, a unique start of it, or 'last'.",
      inputSchema: {
        job: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
        limit: z.number().int().min(1).max(2000).optional(),
      },
      annotations: { readOnlyHint: true },
    },
    tool('job_log', async (a: { job: string; limit?: number }) => {
      const id = await resolveJobRef(ctx, a.job);
      return {
        job: await getJob(ctx, id),
        log: (await jobLogs(ctx, id, { limit: a.limit ?? 500 })).map((l) => `${l.ts} ${l.stream} ${l.line}`),
      };
    }),
  );
  mcp.registerTool(
    'list_backups',
    {
      description: 'Backups of a database, and the last manual and scheduled results.',
      inputSchema: { database: nameSchema, server: optServer },
      annotations: { readOnlyHint: true },
    },
    tool('list_backups', async (a: { database: string; server?: string }) =>
      listBackups(ctx, a.database, a.server ? { server: a.server } : {}),
    ),
  );
  mcp.registerTool(
    'proxy_routes',
    {
      description: 'Caddy routes of a server: domain → 127.0.0.1 port, and the app it belongs to.',
      inputSchema: { server },
      annotations: { readOnlyHint: true },
    },
    tool('proxy_routes', async (a: { server: string }) => ({ routes: await listProxyRoutes(ctx, a.server) })),
  );
  mcp.registerTool(
    'plan',
    {
      description:
        'infrakt plan for an inventory file (.yaml): what apply would create, update, replace or delete. Env shown as keys only.',
      inputSchema: {
        file: z
          .string()
          .regex(/\.ya?ml$/, 'must be a .yaml or .yml file')
          .max(4096),
        live: z.boolean().optional(),
        catalog_dirs: catalogDirsArg,
      },
      annotations: { readOnlyHint: true },
    },
    tool('plan', async (a: { file: string; live?: boolean; catalog_dirs?: string[] }) => {
      const p = await planInventory(ctx, a.file, {
        live: a.live !== false,
        catalogDirs: withCatalogDirs(catalogDirs, a.catalog_dirs),
      });
      return { file: p.file, checked: p.checked, changes: p.plan.changes, warnings: p.plan.warnings };
    }),
  );
  mcp.registerTool(
    'server_exec',
    {
      description: `Run one read-only inspection command on a server (no shell). command is one of: ${INSPECT_COMMANDS.join(', ')}. args: e.g. ["caddy"] for systemctl status, ["docker", "100"] for journalctl (unit, lines), ["-a"] for docker ps.`,
      inputSchema: { server, command: z.string().max(64), args: z.array(z.string().max(200)).max(4).optional() },
      annotations: { readOnlyHint: true },
    },
    tool('server_exec', async (a: { server: string; command: string; args?: string[] }) => {
      // Validated before anything connects: a refused command never reaches the server.
      const cmd = inspectCommand(a.command, a.args ?? []);
      const row = await getServerRow(ctx, a.server);
      const ex = await ctx.connect(row);
      try {
        const r = await ex.run(cmd, { timeoutMs: 30_000 });
        return {
          server: a.server,
          command: a.command,
          exitCode: r.exitCode,
          stdout: cap(r.stdout),
          stderr: cap(r.stderr),
        };
      } finally {
        await ex.close();
      }
    }),
  );
}
