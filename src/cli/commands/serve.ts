import { resolve } from 'node:path';
import type { Command } from 'commander';
import { validation } from '../../core/errors.js';
import { currentApiKey } from '../../services/system/api-key.js';
import { localPaths } from '../context.js';
import { intOption } from '../options.js';
import { c, info } from '../output.js';

const collect = (value: string, prev: string[] = []) => [...prev, value];

function checkOrigin(origin: string): string {
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    throw validation(`invalid --cors-origin '${origin}'`, 'give a full origin such as https://dash.example.com');
  }
  if (u.origin !== origin.replace(/\/$/, '') || (u.protocol !== 'https:' && u.protocol !== 'http:')) {
    throw validation(
      `invalid --cors-origin '${origin}'`,
      'give only scheme://host[:port], e.g. https://dash.example.com',
    );
  }
  return u.origin;
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve the HTTP API (/api), its docs (/docs) and the dashboard (/) in one process; jobs run in it')
    .option('--port <port>', 'TCP port', intOption, 8000)
    .option('--host <address>', 'address to bind (loopback by default)', '127.0.0.1')
    .option(
      '--cors-origin <origin>',
      'allow browser calls from this origin (repeatable; default: same-origin only)',
      collect,
    )
    .option('--allow-local-git', 'accept absolute repository paths on the server as git sources over the API')
    .option('--allow-local-server', 'let API clients register and act on host `local` (commands on this machine)')
    .option('--trust-proxy', 'behind a reverse proxy on this host: rate-limit by X-Forwarded-For, not 127.0.0.1')
    .option(
      '--catalog-dir <dir>',
      'also offer the catalog entries in this folder (repeatable)',
      collect,
      [] as string[],
    )
    .option(
      '--mcp-allow-writes',
      'offer MCP write tools at /mcp (deploy, restart, rollback, backup, apply; each needs confirm)',
    )
    .action(
      async (o: {
        port: number;
        host: string;
        corsOrigin?: string[];
        allowLocalGit?: boolean;
        allowLocalServer?: boolean;
        trustProxy?: boolean;
        catalogDir?: string[];
        mcpAllowWrites?: boolean;
      }) => {
        if (o.port < 0 || o.port > 65535)
          throw validation(`invalid --port ${o.port}`, 'use 1-65535 (0 picks a free port)');
        const corsOrigins = (o.corsOrigin ?? []).map(checkOrigin);
        const paths = localPaths();
        const { startApiServer, isLoopback } = await import('../../api/server.js');
        const srv = await startApiServer({
          port: o.port,
          host: o.host,
          paths,
          corsOrigins,
          allowLocalGitPaths: Boolean(o.allowLocalGit),
          allowLocalServer: Boolean(o.allowLocalServer),
          trustProxy: Boolean(o.trustProxy),
          catalogDirs: (o.catalogDir ?? []).map((d) => resolve(d)),
          mcpAllowWrites: Boolean(o.mcpAllowWrites),
        });
        const out = (s: string) => process.stdout.write(`${s}\n`);
        out(`${c.green('✓')} infrakt API listening on ${c.bold(srv.url)}`);
        out(`  dashboard  ${srv.webRoot ? `${srv.url}/` : 'not built (run: npm run build)'}`);
        out(`  API docs   ${srv.url}/docs   (OpenAPI: ${srv.url}/api/openapi.json)`);
        out(
          `  MCP        ${srv.url}/mcp (Streamable HTTP, X-API-Key; ${o.mcpAllowWrites ? 'write tools on' : 'read-only'})`,
        );
        if (srv.keyCreated && process.stdout.isTTY) {
          // First start on a terminal: show the new key once; later starts only say where it is.
          out(`  API key    ${currentApiKey(paths)}`);
          out(`             generated now, stored in ${srv.apiKeyFile} (0600)`);
        } else {
          out(`  API key    in ${srv.apiKeyFile} (print it with: infrakt api-key show)`);
        }
        if (corsOrigins.length) out(`  CORS       ${corsOrigins.join(', ')}`);
        if (isLoopback(srv.host)) {
          out(
            `  only this machine can connect. To use it from elsewhere, tunnel it:  ssh -L ${srv.port}:127.0.0.1:${srv.port} <this host>`,
          );
          out(`  or put it behind a TLS reverse proxy (e.g. Caddy: reverse_proxy 127.0.0.1:${srv.port}).`);
        } else {
          info(
            `${c.yellow('warning:')} bound to ${srv.host}: the API key would cross the network in plain HTTP. ` +
              'Serve it through a TLS reverse proxy or an SSH tunnel instead.',
          );
        }
        await new Promise<void>((resolve) => {
          const stop = (sig: string) => {
            info(`${sig}: shutting down (running jobs are marked interrupted on the next start)`);
            srv.close().then(resolve, resolve);
          };
          process.once('SIGINT', () => stop('SIGINT'));
          process.once('SIGTERM', () => stop('SIGTERM'));
        });
      },
    );
}
