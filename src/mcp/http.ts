import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Context } from 'hono';
import type { Ctx } from '../services/shared/context.js';
import { createMcpServer } from './server.js';

/**
 * Streamable HTTP at `/mcp` (mounted behind the API key by the API). Stateless: each request gets its own
 * server and transport, so nothing is kept between requests and any worker can answer (JSON responses).
 */
export function mcpHandler(
  ctx: Ctx,
  opts: { allowWrites: boolean; clientAddress: (c: Context) => string; catalogDirs?: readonly string[] | undefined },
) {
  return async (c: Context): Promise<Response> => {
    const mcp = createMcpServer(ctx, {
      allowWrites: opts.allowWrites,
      via: `http ${opts.clientAddress(c)}`,
      catalogDirs: opts.catalogDirs,
    });
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    });
    await mcp.connect(transport);
    try {
      return await transport.handleRequest(c.req.raw);
    } finally {
      // The JSON response is complete once handleRequest returns.
      void mcp.close();
    }
  };
}
