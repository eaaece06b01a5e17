import { resolve } from 'node:path';
import type { Command } from 'commander';
import { catalogDirOption } from '../catalog-options.js';
import { cliActor, withCtx } from '../context.js';

export function registerMcpCommand(program: Command): void {
  catalogDirOption(
    program
      .command('mcp')
      .description('serve MCP over stdio for AI assistants: read-only tools; write tools only with --allow-writes')
      .option('--allow-writes', 'also offer deploy, restart, rollback, backup and apply (each needs confirm: true)'),
  ).action(async (o) => {
    // The SDK loads only here: other commands do not pay for it.
    const { serveMcpStdio } = await import('../../mcp/stdio.js');
    // Jobs started through MCP carry it as their actor (and in their params), like `api` for the HTTP API.
    // --catalog-dir: the plan and apply tools find an inventory's own catalog entries there.
    const catalogDirs = (o.catalogDir as string[]).map((d) => resolve(d));
    await withCtx((ctx) => serveMcpStdio(ctx, { allowWrites: Boolean(o.allowWrites), catalogDirs }), {
      actor: `mcp (stdio) ${cliActor()}`,
    });
  });
}
