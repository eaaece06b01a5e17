// `infrakt mcp` (stdio) and /mcp in `infrakt serve` (Streamable HTTP), driven by the MCP SDK's own client
// against a harness server with a deployed app: tools listed, results correct, writes refused without the flag
// or without confirm, secrets absent from every result, hostile server_exec arguments refused.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { resolvePaths } from '../../src/adapters/local/home.js';
import { startApiServer } from '../../src/api/server.js';
import { CLI_BIN, ensureCliBuilt, REPO_ROOT, runCli } from '../harness/cli.js';
import { removeDir, tempDir } from '../helpers/state.js';
import { type DeployEnv, deployEnv, rand, removeAppImages } from './deploy-harness.js';

const READ_TOOLS = [
  'app_logs',
  'app_status',
  'job_log',
  'list_apps',
  'list_backups',
  'list_databases',
  'list_jobs',
  'list_servers',
  'plan',
  'proxy_routes',
  'server_exec',
  'server_status',
];
const WRITE_TOOLS = ['apply', 'backup', 'deploy', 'restart', 'rollback'];
const ENV_SECRET = `s3cr3t-${rand()}-${rand()}`;
const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'catalog');
const NAMED_SECRET = `named-${rand()}-${rand()}`;

type Text = { content: { type: string; text: string }[]; isError?: boolean };

describe('MCP server over stdio and Streamable HTTP (SDK client, harness server)', { timeout: 300_000 }, () => {
  let env: DeployEnv;
  const app = `ikt-test-${rand()}`;
  const catalogApp = `ikt-cat-${rand()}`;
  const texts: string[] = [];
  let dir: string;
  const clients: Client[] = [];

  const stdio = async (extra: string[] = []) => {
    ensureCliBuilt();
    const client = new Client({ name: 'infrakt-test', version: '1' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI_BIN, 'mcp', ...extra],
      env: { ...(process.env as Record<string, string>), INFRAKT_HOME: env.home, NO_COLOR: '1' },
      stderr: 'pipe',
    });
    await client.connect(transport);
    clients.push(client);
    return client;
  };
  const call = async (c: Client, name: string, args: Record<string, unknown> = {}) => {
    const r = (await c.callTool({ name, arguments: args })) as Text;
    const text = r.content.map((x) => x.text).join('\n');
    texts.push(text);
    return { isError: Boolean(r.isError), text, json: () => JSON.parse(text) };
  };

  beforeAll(async () => {
    env = await deployEnv();
    dir = tempDir('ikt-test-mcp-');
    await env.ok([
      'app',
      'create',
      '--server',
      env.server,
      '--name',
      app,
      '--image',
      'infrakt-test/web:1',
      '--port',
      '3000',
      '--domain',
      `${app}.test`,
      '--health-path',
      '/health',
    ]);
    await env.ok(['env', 'set', app, `API_SECRET=${ENV_SECRET}`]);
    await env.ok(['app', 'deploy', app]);
    // A named secret whose value also appears in ordinary output (the server's remote root): results must redact it.
    expect((await env.cli(['secret', 'set', 'probe'], { input: env.host.root })).code).toBe(0);
    expect((await env.cli(['secret', 'set', 'other'], { input: NAMED_SECRET })).code).toBe(0);
  }, 300_000);

  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await env?.close();
    removeAppImages(app);
    removeAppImages(catalogApp);
    if (dir) removeDir(dir);
  });

  it('stdio, read-only: only the read tools are listed', async () => {
    const c = await stdio();
    const tools = (await c.listTools()).tools.map((t) => t.name).sort();
    expect(tools).toEqual(READ_TOOLS);
  });

  it('results are correct data, with known secret values redacted', async () => {
    const c = await stdio();
    const servers = (await call(c, 'list_servers')).json() as {
      servers: { name: string; root: string; status: string }[];
    };
    expect(servers.servers.map((s) => s.name)).toEqual([env.server]);
    expect(servers.servers[0]?.status).toBe('active');
    expect(servers.servers[0]?.root).toBe('[redacted]');
    const status = (await call(c, 'app_status', { app })).json() as {
      app: { status: string; currentRelease: number };
      deployments: { status: string }[];
    };
    expect(status.app).toMatchObject({ status: 'running', currentRelease: 1 });
    expect(status.deployments[0]?.status).toBe('succeeded');
    const logs = await call(c, 'app_logs', { app, lines: 20 });
    expect(logs.isError, logs.text).toBe(false);
    expect(Array.isArray(logs.json().lines)).toBe(true);
    const st = (await call(c, 'server_status', { server: env.server })).json() as {
      name: string;
      containers: { name: string }[];
    };
    expect(st.name).toBe(env.server);
    expect(st.containers.map((x) => x.name).join(' ')).toContain(`${app}-r1`);
    const routes = (await call(c, 'proxy_routes', { server: env.server })).json() as { routes: { domain: string }[] };
    expect(routes.routes.map((r) => r.domain)).toEqual([`${app}.test`]);
    const jobs = (await call(c, 'list_jobs', { limit: 5 })).json() as { jobs: { id: string; kind: string }[] };
    const deployJob = jobs.jobs.find((j) => j.kind === 'app.deploy')!;
    const log = await call(c, 'job_log', { job: deployJob.id });
    expect(log.json().job.status).toBe('succeeded');
  });

  it('server_exec runs allowlisted inspection commands; hostile arguments and other commands are refused before connecting', async () => {
    const c = await stdio();
    const up = (await call(c, 'server_exec', { server: env.server, command: 'uptime' })).json() as {
      exitCode: number;
      stdout: string;
    };
    expect(up.exitCode).toBe(0);
    expect(up.stdout).toContain('load average');
    const ps = (await call(c, 'server_exec', { server: env.server, command: 'docker ps' })).json() as {
      stdout: string;
    };
    expect(ps.stdout).toContain(`${app}-r1`);
    const marker = join(dir, 'MARK');
    const before = env.host.connectionCount();
    for (const [command, args] of [
      ['systemctl status', [`caddy; touch ${marker}`]],
      ['systemctl status', [`$(touch ${marker})`]],
      ['sh', ['-c', `touch ${marker}`]],
      ['docker ps', ['--format', `{{json .}}`]],
      ['journalctl', ['ssh', '99999']],
    ] as const) {
      const r = await call(c, 'server_exec', { server: env.server, command, args: [...args] });
      expect(r.isError, `${command} ${args.join(' ')}`).toBe(true);
      expect(r.json().error.code).toBe('VALIDATION');
    }
    expect(existsSync(marker)).toBe(false);
    expect(env.host.connectionCount()).toBe(before);
  });

  it('plan reads an inventory file and reports no changes for the exported state', async () => {
    const c = await stdio();
    const file = join(dir, 'infrakt.yaml');
    writeFileSync(file, (await runCli(['export'], { home: env.home })).stdout);
    const p = await call(c, 'plan', { file });
    expect(p.isError, p.text).toBe(false);
    expect(p.json().changes).toEqual([]);
    expect((await call(c, 'plan', { file: '/etc/passwd' })).isError).toBe(true);
  });

  it("plan and apply take catalog folders (catalog_dirs, or infrakt mcp --catalog-dir) for the file's catalog installs", async () => {
    // The exported state plus one catalog install of the test entry, which lives only in the fixtures folder.
    const file = join(dir, 'with-catalog.yaml');
    const inv = parse((await runCli(['export'], { home: env.home })).stdout) as Record<string, unknown>;
    expect((await env.cli(['secret', 'set', 'mcp-cache'], { input: `cache-${rand()}-pw` })).code).toBe(0);
    inv.catalog = {
      [catalogApp]: {
        server: env.server,
        entry: 'webapp',
        version: '1',
        inputs: { greeting: 'hi-from-mcp', cache_password: 'secret:mcp-cache' },
      },
    };
    writeFileSync(file, stringify(inv));
    const c = await stdio();
    const missing = await call(c, 'plan', { file, live: false });
    expect(missing.isError).toBe(true);
    expect(missing.text).toContain("catalog entry 'webapp' not found");
    const relative = await call(c, 'plan', { file, catalog_dirs: ['test/fixtures/catalog'] });
    expect(relative.isError).toBe(true);
    expect(relative.text).toContain('must be an absolute path');
    const planned = await call(c, 'plan', { file, live: false, catalog_dirs: [FIXTURES] });
    expect(planned.isError, planned.text).toBe(false);
    const changes = planned.json().changes as { kind: string; action: string; name: string }[];
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ action: 'create', name: catalogApp });

    // The server's own --catalog-dir serves every call; apply installs through it.
    const w = await stdio(['--allow-writes', '--catalog-dir', FIXTURES]);
    expect((await call(w, 'plan', { file, live: false })).json().changes).toHaveLength(1);
    const applied = await call(w, 'apply', { file, confirm: true });
    expect(applied.isError, applied.text).toBe(false);
    const installed = JSON.parse((await env.ok(['catalog', 'installed', '--json'])).stdout) as {
      name: string;
      entry: string;
      version: string;
    }[];
    expect(installed.find((r) => r.name === catalogApp)).toMatchObject({ entry: 'webapp', version: '1' });
    expect((await call(w, 'plan', { file })).json().changes).toEqual([]);
    await env.ok(['app', 'destroy', catalogApp, '--force']);
  });

  it('writes do not exist without --allow-writes', async () => {
    const c = await stdio();
    const r = await c.callTool({ name: 'deploy', arguments: { app, confirm: true } }).then(
      (x) => x as Text,
      (e: Error) => ({ content: [{ type: 'text', text: e.message }], isError: true }),
    );
    expect(r.isError).toBe(true);
    expect(r.content[0]?.text).toContain('Tool deploy not found');
  });

  it('with --allow-writes: each write needs confirm: true, then runs as a job recorded as done through MCP', async () => {
    const c = await stdio(['--allow-writes']);
    expect((await c.listTools()).tools.map((t) => t.name).sort()).toEqual([...READ_TOOLS, ...WRITE_TOOLS].sort());
    const jobsBefore = JSON.parse((await env.ok(['job', 'list', '--json'])).stdout).length;
    const refused = await call(c, 'deploy', { app });
    expect(refused.isError).toBe(true);
    expect(refused.json().error).toMatchObject({
      code: 'ABORTED',
      message: 'deploy changes the fleet and needs confirm: true',
    });
    expect(JSON.parse((await env.ok(['job', 'list', '--json'])).stdout).length).toBe(jobsBefore);
    const ok = await call(c, 'deploy', { app, confirm: true });
    expect(ok.isError, ok.text).toBe(false);
    expect(ok.json().result.release).toBe(2);
    const job = JSON.parse((await env.ok(['job', 'show', ok.json().jobId, '--json'])).stdout) as {
      actor: string;
      kind: string;
      params: { via: string };
    };
    expect(job.kind).toBe('app.deploy');
    expect(job.actor).toMatch(/^mcp \(stdio\) /);
    expect(job.params.via).toBe('mcp (stdio)');
    const deps = JSON.parse((await env.ok(['app', 'deployments', app, '--json'])).stdout) as { by: string }[];
    expect(deps[0]?.by).toBe('mcp (stdio)');
  });

  it('Streamable HTTP at /mcp in infrakt serve: behind the API key, read-only by default', async () => {
    const srv = await startApiServer({
      port: 0,
      host: '127.0.0.1',
      paths: resolvePaths({ INFRAKT_HOME: env.home }),
      webRoot: null,
      log: () => {},
    });
    try {
      const url = new URL(`${srv.url}/mcp`);
      const anon = new Client({ name: 'anon', version: '1' });
      await expect(anon.connect(new StreamableHTTPClientTransport(url))).rejects.toThrow(/missing API key/);
      const key = readFileSync(srv.apiKeyFile, 'utf8').trim();
      const c = new Client({ name: 'infrakt-test', version: '1' });
      await c.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers: { 'X-API-Key': key } } }));
      clients.push(c);
      expect((await c.listTools()).tools.map((t) => t.name).sort()).toEqual(READ_TOOLS);
      const apps = (await call(c, 'list_apps')).json() as { apps: { name: string }[] };
      expect(apps.apps.map((a) => a.name)).toEqual([app]);
      texts.push(key);
    } finally {
      await srv.close();
    }
  });

  it('no secret value appears in any tool result', () => {
    expect(texts.length).toBeGreaterThan(15);
    const key = texts.pop()!;
    for (const t of texts) {
      expect(t).not.toContain(ENV_SECRET);
      expect(t).not.toContain(NAMED_SECRET);
      expect(t).not.toContain(env.host.root);
      expect(t).not.toContain(key);
    }
  });
});
