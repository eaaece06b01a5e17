import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Ctx } from '../services/shared/context.js';
import { createMcpServer } from './server.js';

/** `infrakt mcp`: serves MCP on stdin/stdout until the client closes stdin. Nothing else may write to stdout. */
export async function serveMcpStdio(
  ctx: Ctx,
  opts: { allowWrites: boolean; catalogDirs?: readonly string[] },
): Promise<void> {
  const mcp = createMcpServer(ctx, { allowWrites: opts.allowWrites, via: 'stdio', catalogDirs: opts.catalogDirs });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await mcp.connect(transport);
  await closed;
  await mcp.close();
}
