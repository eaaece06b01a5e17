import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { toInfraktError } from '../core/errors.js';
import type { Secret } from '../core/secret.js';
import { assertLevel } from '../services/shared/access.js';
import type { Ctx } from '../services/shared/context.js';
import { scrubText } from './scrub.js';
import { MCP_TOOL_LEVELS, type McpToolName } from './tool-levels.js';

export type ToolRunner = <A>(
  name: McpToolName,
  fn: (args: A) => Promise<unknown>,
) => (args: A) => Promise<CallToolResult>;

/**
 * Wraps the body of tool `name`: the caller's level is checked first (MCP_TOOL_LEVELS), its result becomes JSON
 * text (and structured content), errors become `isError` results with code, message and hint — and every byte of
 * either is scrubbed of all secret values infrakt knows.
 */
export function toolRunner(ctx: Pick<Ctx, 'principal'>, secrets: () => Promise<readonly Secret[]>): ToolRunner {
  return (name, fn) => async (args) => {
    let body: unknown;
    let isError = false;
    try {
      assertLevel(ctx, MCP_TOOL_LEVELS[name], `use the MCP tool ${name}`);
      body = await fn(args);
    } catch (e) {
      const err = toInfraktError(e);
      isError = true;
      body = { error: { code: err.code, message: err.message, ...(err.hint ? { hint: err.hint } : {}) } };
    }
    const text = scrubText(JSON.stringify(body, null, 2), await secrets());
    return { content: [{ type: 'text', text }], ...(isError ? { isError: true } : {}) };
  };
}

/**
 * `catalog_dirs` of plan and apply: catalog folders (a user's own entries, like `--catalog-dir`) for an
 * inventory's `catalog:` installs. Absolute paths: the client does not know the server's working directory.
 */
export const catalogDirsArg = z
  .array(
    z
      .string()
      .min(1)
      .max(4096)
      .refine((d) => d.startsWith('/') && !d.includes('\0'), 'must be an absolute path'),
  )
  .max(16)
  .optional();

/** The server's own folders (`infrakt mcp --catalog-dir`, `serve --catalog-dir`), then the call's. */
export const withCatalogDirs = (configured: readonly string[], given: readonly string[] | undefined): string[] => [
  ...new Set([...configured, ...(given ?? [])]),
];
