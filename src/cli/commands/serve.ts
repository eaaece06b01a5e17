import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { ServeOptions } from '../../api/server.js';
import { validation } from '../../core/errors.js';
import { DEFAULT_MONITOR } from '../../services/monitoring/monitor.js';
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

function watchOptions(o: {
  monitorInterval: number;
  monitorTimeout: number;
  downAfter: number;
  diskThreshold: number;
  memoryThreshold: number;
  notifyRetry: number;
}): NonNullable<ServeOptions['watch']> {
  const within = (v: number, min: number, max: number, flag: string) => {
    if (!Number.isInteger(v) || v < min || v > max) throw validation(`${flag} must be ${min} to ${max}`);
    return v;
  };
  const interval = o.monitorInterval === 0 ? 0 : within(o.monitorInterval, 2, 86_400, '--monitor-interval');
  const down = within(o.downAfter, 1, 20, '--down-after');
  return {
    monitorIntervalMs: interval * 1000,
    monitor: {
      ...DEFAULT_MONITOR,
      timeoutMs: within(o.monitorTimeout, 1, 120, '--monitor-timeout') * 1000,
      damping: { downAfter: down, upAfter: down },
      diskThreshold: within(o.diskThreshold, 1, 100, '--disk-threshold'),
      memoryThreshold: within(o.memoryThreshold, 1, 100, '--memory-threshold'),
    },
    dispatch: { backoffMs: within(o.notifyRetry, 1, 3600, '--notify-retry') * 1000 },
  };
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
    .option('--no-watch', 'serve the API only: no polling, monitoring or notification delivery in this process')
    .option('--monitor-interval <seconds>', 'health checks and server metrics every N seconds (0: off)', intOption, 60)
    .option('--monitor-timeout <seconds>', 'deadline of one health check or server sample', intOption, 10)
    .option(
      '--down-after <n>',
      'failed checks in a row before a target is down (and good ones before up)',
      intOption,
      2,
    )
    .option('--disk-threshold <percent>', 'raise server.disk above this use of the fullest filesystem', intOption, 90)
    .option('--memory-threshold <percent>', 'raise server.memory above this memory use', intOption, 90)
    .option('--notify-retry <seconds>', 'first retry of a failed notification (doubling, 6 attempts)', intOption, 10)
    .action(
      async (o: {
        watch: boolean;
        monitorInterval: number;
        monitorTimeout: number;
        downAfter: number;
        diskThreshold: number;
        memoryThreshold: number;
        notifyRetry: number;
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
        const watch = o.watch ? watchOptions(o) : undefined;
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
          watch,
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
        out(
          watch
            ? `  watching   polling, notifications${o.monitorInterval ? `, monitor every ${o.monitorInterval}s` : ' (monitor off)'}`
            : '  watching   nothing (--no-watch): no polling, monitoring or notification delivery',
        );
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
        // Start-up garbage is collected once now (see startup-gc.ts), not whenever V8 gets round to it.
        const { collectStartupGarbage } = await import('../../api/startup-gc.js');
        void collectStartupGarbage();
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
