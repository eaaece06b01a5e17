import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { atLeast } from '../../src/core/access.js';
import { MCP_TOOL_LEVELS, type McpToolName } from '../../src/mcp/tool-levels.js';
import { callers as allCallers, type Caller, requestSources } from '../harness/authz-callers.js';
import { type ApiFixture, apiFixture } from './api-fixture.js';

/**
 * Every MCP tool at /mcp (write tools on) × every caller kind — viewer/deployer/admin users with their session,
 * read/deploy/admin tokens, the owner key — through the SDK's own client, against the one level table
 * (src/mcp/tool-levels.ts): at or above the tool's level → never a level refusal; below → FORBIDDEN naming the tool
 * and the level it needs. A tool listed without a line in the table, or a line without a tool, fails here.
 */
let f: ApiFixture;
const source = requestSources();
let callers: Caller[] = [];

/** Arguments each tool's schema accepts, naming things that do not exist: the body runs (or is refused) but changes nothing. */
const ARGS: Record<McpToolName, Record<string, unknown>> = {
  list_servers: {},
  list_apps: {},
  list_databases: {},
  list_jobs: {},
  server_status: { server: 'nothere' },
  app_status: { app: 'nothere' },
  app_logs: { app: 'nothere', lines: 5 },
  job_log: { job: 'last' },
  list_backups: { database: 'nothere' },
  proxy_routes: { server: 'nothere' },
  plan: { file: '/nonexistent/ikt-test-inventory.yaml' },
  server_exec: { server: 'nothere', command: 'uptime' },
  deploy: { app: 'nothere', confirm: true },
  restart: { app: 'nothere', confirm: true },
  rollback: { app: 'nothere', confirm: true },
  backup: { database: 'nothere', confirm: true },
  apply: { file: '/nonexistent/ikt-test-inventory.yaml', confirm: true },
};

/** An MCP client whose requests go into the API app in process, with the caller's credentials. */
async function clientAs(who: Caller): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL('http://127.0.0.1/mcp'), {
    requestInit: { headers: who.headers },
    fetch: async (url, init) => f.app.request(String(url), init, source()),
  });
  const client = new Client({ name: 'ikt-test-authz', version: '1' });
  await client.connect(transport);
  return client;
}

type ToolAnswer = { content: { type: string; text: string }[]; isError?: boolean };

beforeAll(async () => {
  f = apiFixture({ rateLimit: { max: 10_000, windowMs: 60_000 }, mcp: { allowWrites: true } });
  callers = await allCallers(f, source);
}, 60_000);
afterAll(async () => {
  await f?.cleanup();
});

describe('MCP tool levels over HTTP', () => {
  it('every tool × every caller kind matches the table', async () => {
    const seen = { allowed: 0, refused: 0 };
    for (const who of callers) {
      const client = await clientAs(who);
      try {
        const listed = (await client.listTools()).tools.map((t) => t.name).sort();
        // Every caller sees every tool; the level is checked on the call (the answer says what it needs).
        expect([who.label, listed]).toEqual([who.label, Object.keys(MCP_TOOL_LEVELS).sort()]);
        for (const name of listed as McpToolName[]) {
          const need = MCP_TOOL_LEVELS[name];
          const r = (await client.callTool({ name, arguments: ARGS[name] })) as ToolAnswer;
          const text = r.content.map((c) => c.text).join('\n');
          const err = r.isError ? (JSON.parse(text) as { error: { code: string; message: string } }).error : null;
          const row = `${name} as ${who.label}`;
          if (atLeast(who.level, need)) {
            seen.allowed++;
            expect([row, err?.code === 'FORBIDDEN' ? err.message : 'not refused']).toEqual([row, 'not refused']);
          } else {
            seen.refused++;
            expect([row, err?.code]).toEqual([row, 'FORBIDDEN']);
            expect(err?.message).toContain(`may not use the MCP tool ${name}: it needs ${need} access`);
          }
        }
      } finally {
        await client.close();
      }
    }
    expect(seen.refused).toBeGreaterThanOrEqual(16);
    expect(seen.allowed).toBeGreaterThanOrEqual(70);
  }, 120_000);

  it('the table says what the issue asks: reads are read, every change tool needs deploy or more', async () => {
    const client = await clientAs(callers.find((c) => c.label === 'owner key')!);
    try {
      const tools = (await client.listTools()).tools;
      for (const t of tools) {
        const need = MCP_TOOL_LEVELS[t.name as McpToolName];
        if (t.annotations?.readOnlyHint !== true) expect([t.name, atLeast(need, 'deploy')]).toEqual([t.name, true]);
      }
      expect(tools.filter((t) => t.annotations?.readOnlyHint !== true).length).toBe(5);
      for (const k of ['deploy', 'restart', 'rollback'] as const)
        expect([k, MCP_TOOL_LEVELS[k]]).toEqual([k, 'deploy']);
      // Files on the control host and commands on a server are an admin's, as for the API's exec route.
      for (const k of ['backup', 'apply', 'server_exec', 'plan'] as const)
        expect([k, MCP_TOOL_LEVELS[k]]).toEqual([k, 'admin']);
      expect(MCP_TOOL_LEVELS.list_apps).toBe('read');
    } finally {
      await client.close();
    }
  });
});
