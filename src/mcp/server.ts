import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { JobSpec, Jobs } from '../core/jobs.js';
import { knownSecretValues } from '../services/secrets/known-secrets.js';
import type { Ctx } from '../services/shared/context.js';
import { toolRunner } from './tool-kit.js';
import { registerReadTools } from './tools-read.js';
import { registerWriteTools } from './tools-write.js';

declare const INFRAKT_VERSION: string;

export interface McpOptions {
  /** Register the write tools (deploy, restart, rollback, backup, apply). Off by default. */
  readonly allowWrites: boolean;
  /** How the client reached us, recorded as the actor of every job: `mcp (stdio)`, `mcp (http 127.0.0.1)`. */
  readonly via: string;
  /** Catalog folders (`--catalog-dir`) the plan and apply tools use for an inventory's `catalog:` entries. */
  readonly catalogDirs?: readonly string[] | undefined;
}

/** Every job started through MCP records how it came (`params.via`), whatever runner runs it. */
function jobsVia(jobs: Jobs, via: string): Jobs {
  const mark = (spec: JobSpec): JobSpec => ({ ...spec, params: { ...spec.params, via } });
  return {
    ...jobs,
    start: (spec, body) => jobs.start(mark(spec), body),
    run: (spec, body) => jobs.run(mark(spec), body),
    get: (id) => jobs.get(id),
    list: (o) => jobs.list(o),
    logs: (id, o) => jobs.logs(id, o),
    cancel: (id) => jobs.cancel(id),
    subscribe: (id, l, o) => jobs.subscribe(id, l, o),
  };
}

/** An MCP server over infrakt's services. Read-only unless asked; every result scrubbed of secrets. */
export function createMcpServer(ctx: Ctx, opts: McpOptions): McpServer {
  // Over HTTP the caller is a user or token (the owner key and the local stdio user are not named).
  const p = ctx.principal;
  const named = p && (p.kind === 'user' || p.kind === 'token') ? ` as ${p.name}` : '';
  const via = `mcp (${opts.via})${named}`;
  const mcpCtx: Ctx = { ...ctx, actor: via, jobs: jobsVia(ctx.jobs, via) };
  const mcp = new McpServer(
    { name: 'infrakt', version: typeof INFRAKT_VERSION === 'string' ? INFRAKT_VERSION : 'dev' },
    {
      instructions:
        'infrakt manages servers, apps and databases over SSH. Read tools are safe. Write tools exist only when the ' +
        'server was started with --allow-writes, and each needs confirm: true after the user agreed. Tool results never ' +
        'contain secret values.',
    },
  );
  const tool = toolRunner(mcpCtx, () => knownSecretValues(mcpCtx));
  const catalogDirs = opts.catalogDirs ?? [];
  registerReadTools(mcp, mcpCtx, tool, catalogDirs);
  if (opts.allowWrites) registerWriteTools(mcp, mcpCtx, tool, catalogDirs);
  return mcp;
}
