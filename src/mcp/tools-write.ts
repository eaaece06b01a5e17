import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { InfraktError } from '../core/errors.js';
import { nameSchema } from '../core/schemas/common.js';
import { prepareRestart } from '../services/apps/app-lifecycle.js';
import { prepareDeploy } from '../services/apps/deploy/deploy-app.js';
import { prepareRollback } from '../services/apps/rollback.js';
import { prepareBackup } from '../services/databases/backups.js';
import { applyInventory } from '../services/inventory/apply.js';
import { planInventory } from '../services/inventory/plan.js';
import { audit } from '../services/shared/audit.js';
import type { Ctx } from '../services/shared/context.js';
import type { JobPlan } from '../services/shared/job-plan.js';
import { catalogDirsArg, type ToolRunner, withCatalogDirs } from './tool-kit.js';

const confirm = z.boolean().optional().describe('must be true: the user confirmed this change');
const optServer = nameSchema.optional().describe('server name (when the name is used on several servers)');

function confirmed(tool: string, a: { confirm?: boolean }): void {
  if (a.confirm !== true) {
    throw new InfraktError('ABORTED', `${tool} changes the fleet and needs confirm: true`, {
      hint: 'ask the user to confirm, then call again with confirm: true',
    });
  }
}

/**
 * Write tools, registered only with --allow-writes. Each needs `confirm: true` and the caller's level from
 * MCP_TOOL_LEVELS (deploy for deploy/restart/rollback, admin for backup and apply, as for the matching API routes;
 * the services check the server/app scope), runs as a normal job (its actor says `mcp`), and is audited as done
 * through MCP.
 */
export function registerWriteTools(
  mcp: McpServer,
  ctx: Ctx,
  tool: ToolRunner,
  catalogDirs: readonly string[] = [],
): void {
  const run = async <T>(name: string, target: string, plan: JobPlan<T>) => {
    await audit(ctx, `mcp.${name}`, target, {});
    const { jobId, result } = await ctx.jobs.run(plan.spec, plan.body);
    return { jobId, result };
  };
  mcp.registerTool(
    'deploy',
    {
      description: 'Deploy an app (zero-downtime, health-gated). Needs confirm: true.',
      inputSchema: { app: nameSchema, server: optServer, confirm },
      annotations: { destructiveHint: false },
    },
    tool('deploy', async (a: { app: string; server?: string; confirm?: boolean }) => {
      confirmed('deploy', a);
      return run('deploy', a.app, await prepareDeploy(ctx, a.app, a.server ? { server: a.server } : {}));
    }),
  );
  mcp.registerTool(
    'restart',
    {
      description: 'Restart an app’s current release. Needs confirm: true.',
      inputSchema: { app: nameSchema, server: optServer, confirm },
    },
    tool('restart', async (a: { app: string; server?: string; confirm?: boolean }) => {
      confirmed('restart', a);
      return run('restart', a.app, await prepareRestart(ctx, a.app, a.server ? { server: a.server } : {}));
    }),
  );
  mcp.registerTool(
    'rollback',
    {
      description: 'Roll an app back to a kept release (default the previous one). Needs confirm: true.',
      inputSchema: { app: nameSchema, server: optServer, to: z.number().int().min(1).optional(), confirm },
    },
    tool('rollback', async (a: { app: string; server?: string; to?: number; confirm?: boolean }) => {
      confirmed('rollback', a);
      return run(
        'rollback',
        a.app,
        await prepareRollback(ctx, a.app, { ...(a.server ? { server: a.server } : {}), ...(a.to ? { to: a.to } : {}) }),
      );
    }),
  );
  mcp.registerTool(
    'backup',
    {
      description: 'Take a verified backup of a database now. Needs confirm: true.',
      inputSchema: { database: nameSchema, server: optServer, confirm },
    },
    tool('backup', async (a: { database: string; server?: string; confirm?: boolean }) => {
      confirmed('backup', a);
      return run('backup', a.database, await prepareBackup(ctx, a.database, a.server ? { server: a.server } : {}));
    }),
  );
  mcp.registerTool(
    'apply',
    {
      description:
        'infrakt apply for an inventory file: runs the plan as jobs (deletes only with prune: true). Needs confirm: true.',
      inputSchema: {
        file: z
          .string()
          .regex(/\.ya?ml$/, 'must be a .yaml or .yml file')
          .max(4096),
        prune: z.boolean().optional(),
        catalog_dirs: catalogDirsArg,
        confirm,
      },
    },
    tool('apply', async (a: { file: string; prune?: boolean; catalog_dirs?: string[]; confirm?: boolean }) => {
      confirmed('apply', a);
      await audit(ctx, 'mcp.apply', a.file, { prune: Boolean(a.prune) });
      const p = await planInventory(ctx, a.file, { catalogDirs: withCatalogDirs(catalogDirs, a.catalog_dirs) });
      const report = await applyInventory(ctx, p, { prune: Boolean(a.prune) });
      return { file: p.file, ...report };
    }),
  );
}
