import type { Level } from '../core/access.js';

/**
 * The access level each MCP tool needs: the one table (a tool's runner looks its level up here, so a tool cannot be
 * written without a line; test/unit/mcp-authz-matrix.test.ts walks every tool with every caller kind against it).
 * Over HTTP the caller is whoever's key, token or session reached /mcp; stdio runs as the local user (admin). Levels
 * follow the matching API routes; the services check the server/app scope on the resource a call names.
 */
export const MCP_TOOL_LEVELS = {
  list_servers: 'read',
  list_apps: 'read',
  list_databases: 'read',
  list_jobs: 'read',
  server_status: 'read',
  app_status: 'read',
  app_logs: 'read',
  job_log: 'read',
  list_backups: 'read',
  proxy_routes: 'read',
  // Reads a file on the control host by path (any .yaml the service user can read, and says whether it exists or
  // why it does not parse): no read-level route reaches the host's files, and its twin `apply` is admin.
  plan: 'admin',
  // Runs on a server, as POST /api/servers/{name}/exec does: journal lines can carry anything.
  server_exec: 'admin',
  deploy: 'deploy',
  restart: 'deploy',
  rollback: 'deploy',
  backup: 'admin',
  apply: 'admin',
} as const satisfies Record<string, Level>;

export type McpToolName = keyof typeof MCP_TOOL_LEVELS;
