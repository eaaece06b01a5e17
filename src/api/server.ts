import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { ensureHome, type Paths } from '../adapters/local/home.js';
import { apiKeySource, ensureApiKey } from '../adapters/secrets/api-key.js';
import { openStateStore } from '../adapters/store/open-state.js';
import { InfraktError } from '../core/errors.js';
import { startApprovalWorker } from '../services/approvals/run-approved.js';
import type { Connect } from '../services/shared/context.js';
import { startWatchers, type WatcherOptions, type Watchers } from '../services/system/watchers.js';
import { createReceiver } from '../services/webhooks/receive.js';
import { createApiApp } from './app.js';
import { proxiedAddress } from './auth.js';
import { type ApiCtx, openApiContext } from './context.js';
import { attachTerminalSockets } from './terminal-socket.js';
import { TerminalTickets } from './terminal-tickets.js';

export interface ServeOptions {
  port: number;
  host: string;
  paths: Paths;
  corsOrigins?: readonly string[];
  allowLocalGitPaths?: boolean;
  allowLocalServer?: boolean;
  /** Attribute requests from a local reverse proxy to X-Forwarded-For (per-client rate limiting). */
  trustProxy?: boolean;
  /** Extra catalog folders offered by /api/catalog (absolute paths). */
  catalogDirs?: readonly string[];
  /** Built dashboard directory; default: dist/web next to the running bundle, if built. */
  webRoot?: string | null;
  connect?: Connect;
  log?: (line: string) => void;
  /** Offer MCP write tools at /mcp (each still needs confirm: true). */
  mcpAllowWrites?: boolean;
  /** Polling, monitoring and notification delivery in this process (`infrakt serve` turns them on). */
  watch?: Omit<WatcherOptions, 'runner' | 'log'>;
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly host: string;
  readonly apiKeyFile: string;
  /** True when this start generated the key (first start). */
  readonly keyCreated: boolean;
  readonly webRoot: string | null;
  readonly ctx: ApiCtx;
  close(): Promise<void>;
}

export const isLoopback = (host: string) =>
  host === 'localhost' || host === '::1' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);

/** dist/web from the bundle (dist/cli.js or dist/chunks/*.js), or from src/api when run from sources. */
export function defaultWebRoot(from = dirname(fileURLToPath(import.meta.url))): string | null {
  for (const dir of [join(from, 'web'), join(from, '..', 'web'), join(from, '..', '..', 'dist', 'web')]) {
    if (existsSync(join(dir, 'index.html'))) return dir;
  }
  return null;
}

/** Initialises state, ensures the API key, and listens. One process: API, dashboard, job worker. */
export async function startApiServer(opts: ServeOptions): Promise<RunningServer> {
  ensureHome(opts.paths);
  const ctx = openApiContext(opts.paths, { connect: opts.connect, store: await openStateStore(opts.paths) });
  const { created } = ensureApiKey(opts.paths.apiKey);
  const webRoot = opts.webRoot === undefined ? defaultWebRoot() : opts.webRoot;
  const terminals = new TerminalTickets();
  // One deploy queue for webhook deliveries and polls: a push and a poll of one app never race.
  const receiver = createReceiver();
  const app = createApiApp(ctx, {
    terminals,
    receiver,
    apiKey: apiKeySource(opts.paths.apiKey),
    corsOrigins: opts.corsOrigins,
    allowLocalGitPaths: Boolean(opts.allowLocalGitPaths),
    allowLocalServer: Boolean(opts.allowLocalServer),
    ...(opts.trustProxy ? { clientAddress: proxiedAddress() } : {}),
    webRoot,
    log: opts.log,
    catalogDirs: opts.catalogDirs,
    mcp: { allowWrites: Boolean(opts.mcpAllowWrites) },
  });
  const host = opts.host.replace(/^\[(.*)\]$/, '$1');
  let server: ReturnType<typeof serve>;
  const info = await new Promise<AddressInfo>((resolve, reject) => {
    server = serve({ fetch: app.fetch, port: opts.port, hostname: host }, resolve);
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(
        new InfraktError(
          e.code === 'EADDRINUSE' ? 'CONFLICT' : 'INTERNAL',
          e.code === 'EADDRINUSE' ? `port ${opts.port} on ${host} is already in use` : `cannot listen: ${e.message}`,
          { hint: e.code === 'EADDRINUSE' ? 'choose another with --port' : undefined },
        ),
      );
    });
  }).catch(async (e) => {
    await ctx.close();
    throw e;
  });
  // Expires stale approval requests and runs approved ones no process runs yet (one claim per job, across processes).
  const worker = startApprovalWorker(ctx, { log: opts.log });
  const sockets = attachTerminalSockets(server! as Server, {
    tickets: terminals,
    allowedOrigins: opts.corsOrigins ?? [],
    ...(opts.log ? { log: opts.log } : {}),
  });
  let watchers: Watchers | null = null;
  if (opts.watch) {
    watchers = startWatchers(ctx, receiver.queue, {
      ...opts.watch,
      runner: `infrakt serve pid ${process.pid}`,
      log: opts.log ?? ((l) => process.stderr.write(`${l}\n`)),
    });
  }
  const shown = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  return {
    url: `http://${shown}:${info.port}`,
    port: info.port,
    host: info.address,
    apiKeyFile: opts.paths.apiKey,
    keyCreated: created,
    webRoot,
    ctx,
    async close() {
      await worker.stop();
      sockets.close();
      await watchers?.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Open event streams would keep close() waiting forever.
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
      await ctx.close();
    },
  };
}
