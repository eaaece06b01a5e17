import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { z } from 'zod';
import { InfraktError } from '../core/errors.js';
import { localServerRefused } from '../services/servers/servers.js';
import type { Ctx } from '../services/shared/context.js';
import type { Resolve } from '../services/shared/ssrf.js';
import { createReceiver, type Receiver } from '../services/webhooks/receive.js';
import {
  API_KEY_HEADER,
  type ClientAddress,
  DEFAULT_RATE_LIMIT,
  FailureLimiter,
  type RateLimit,
  requireApiKey,
  socketAddress,
} from './auth.js';
import { DOCS_CSP, DOCS_CSS, DOCS_HTML, DOCS_JS } from './docs-page.js';
import { apiError, errorHandler } from './errors.js';
import { OneTimeSecrets } from './one-time.js';
import { ReadCache } from './read-cache.js';
import { type AcceptedResponse, type Api, type ApiEnv, json, type RouteDeps, security } from './route-kit.js';
import { appAuthRoutes } from './routes/app-auth.js';
import { appExecRoutes } from './routes/app-exec.js';
import { appLifecycleRoutes } from './routes/app-lifecycle.js';
import { appRoutes } from './routes/apps.js';
import { autoDeployRoutes } from './routes/auto-deploy.js';
import { backupTargetRoutes } from './routes/backup-targets.js';
import { catalogRoutes } from './routes/catalog.js';
import { catalogOutputRoutes } from './routes/catalog-outputs.js';
import { clusterRoutes } from './routes/clusters.js';
import { cronRoutes } from './routes/cron.js';
import { databaseRoutes } from './routes/databases.js';
import { deployRoutes } from './routes/deploy.js';
import { edgeDeviceRoutes } from './routes/edge-devices.js';
import { envRoutes } from './routes/env.js';
import { envPushRoutes } from './routes/env-push.js';
import { jobRoutes, SSE_DESCRIPTION } from './routes/jobs.js';
import { monitoringRoutes } from './routes/monitoring.js';
import { notificationRoutes } from './routes/notifications.js';
import { previewRoutes } from './routes/previews.js';
import { proxyRoutes } from './routes/proxy.js';
import { registryRoutes } from './routes/registries.js';
import { serverRemoteRoutes } from './routes/server-remote.js';
import { serverRoutes } from './routes/servers.js';
import { systemRoutes, VERSION } from './routes/system.js';
import { terminalRoutes } from './routes/terminals.js';
import { isWebhookDelivery, webhookRoutes } from './routes/webhooks.js';
import { dashboardHandler } from './static.js';
import { TerminalTickets } from './terminal-tickets.js';

export interface ApiOptions {
  /** The current API key (re-read when the file changes: see apiKeySource). */
  apiKey: () => string;
  /** Origins allowed to call the API from a browser; none = same-origin only. */
  corsOrigins?: readonly string[];
  rateLimit?: RateLimit;
  clientAddress?: ClientAddress;
  /** Accept absolute repository paths on the server as git sources (CLI-only by default). */
  allowLocalGitPaths?: boolean;
  /** Act on servers with host `local` (this machine) over the API; off unless `serve --allow-local-server`. */
  allowLocalServer?: boolean;
  /** DNS for the git URL SSRF check (tests inject one; default: the system resolver). */
  resolve?: Resolve;
  /** The built dashboard (dist/web); served at / with an SPA fallback when present. */
  webRoot?: string | null;
  log?: (line: string) => void;
  ssePingMs?: number;
  bodyLimitBytes?: number;
  /** Extra catalog folders (a user's own entries) offered beside the built-in catalog. */
  catalogDirs?: readonly string[];
  /** Push-to-deploy receiver (shared with the poller of `infrakt serve`); a fresh one by default. */
  receiver?: Receiver;
  /** Failed webhook deliveries allowed per address before 429 (default 10 per minute). */
  webhookFailureLimit?: RateLimit;
  /** MCP over Streamable HTTP at /mcp (behind the API key); write tools only with allowWrites. */
  mcp?: { allowWrites: boolean };
  /** Tickets of the terminal WebSocket, shared with the socket endpoint of the listening server. */
  terminals?: TerminalTickets;
}

const PUBLIC_PATHS = new Set(['/api/health', '/api/openapi.json']);

export const API_DESCRIPTION =
  'HTTP API of infrakt: the same services and schemas as the CLI. Every route except GET /api/health, this ' +
  'document (GET /api/openapi.json) and the webhook deliveries (POST /api/webhooks/{hookId}, signed with the app ' +
  'secret instead) needs the ' +
  `${API_KEY_HEADER} header (missing: 401, wrong: 403, repeated failures: 429). Errors are { "error": { "code", "message", ` +
  '"hint" } }. Operations that act on servers run as jobs: 202 with { jobId, job } and Location: /api/jobs/{id}. ' +
  SSE_DESCRIPTION;

function validationFrom(error: z.ZodError, target: string): InfraktError {
  const issues = error.issues.map((i) => ({
    field: i.path.length ? i.path.map(String).join('.') : target,
    message: i.message,
  }));
  const first = issues[0];
  return new InfraktError('VALIDATION', first ? `invalid ${first.field}: ${first.message}` : `invalid ${target}`, {
    details: { issues },
    hint: issues.length > 1 ? `${issues.length} problems in the request; fix them and retry` : undefined,
  });
}

async function acceptedJob(c: Context<ApiEnv>, jobId: string): Promise<AcceptedResponse> {
  const job = await c.var.ctx.jobs.get(jobId);
  c.header('Location', `/api/jobs/${job.id}`);
  return c.json({ jobId: job.id, job }, 202) as never;
}

/** Without the opt-in, no API request runs anything on the control host through a `local` server. */
const refuseLocal =
  (connect: Ctx['connect']): Ctx['connect'] =>
  (server, o) =>
    server.host === 'local' ? Promise.reject(localServerRefused()) : connect(server, o);

export function createApiApp(ctx: Ctx, opts: ApiOptions): Api {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const clientAddress = opts.clientAddress ?? socketAddress;
  const limiter = new FailureLimiter(opts.rateLimit ?? DEFAULT_RATE_LIMIT);

  const api: Api = new OpenAPIHono<ApiEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationFrom(result.error, result.target === 'json' ? 'body' : result.target);
    },
  });
  api.onError(errorHandler((err) => log(`error ${err.code}: ${err.message}`)));

  api.use('/api/*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
    c.header('X-Content-Type-Options', 'nosniff');
  });
  if (opts.corsOrigins?.length) {
    const allowed = new Set(opts.corsOrigins);
    api.use(
      '/api/*',
      cors({
        origin: (origin) => (allowed.has(origin) ? origin : null),
        allowHeaders: [API_KEY_HEADER, 'Content-Type', 'Last-Event-ID'],
        allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
        exposeHeaders: ['Location', 'Retry-After'],
        maxAge: 600,
      }),
    );
  }
  const guard = requireApiKey({ apiKey: opts.apiKey, limiter, clientAddress });
  api.use('/api/*', async (c, next) => {
    // Public: liveness, and the API description (it holds no data; client generators fetch it without a key).
    if (PUBLIC_PATHS.has(c.req.path) && (c.req.method === 'GET' || c.req.method === 'HEAD')) return next();
    // The one other exemption: webhook deliveries prove themselves with their app's secret (routes/webhooks.ts).
    if (isWebhookDelivery(c.req.method, c.req.path)) return next();
    return guard(c, next);
  });
  api.use(
    '/api/*',
    bodyLimit({
      maxSize: opts.bodyLimitBytes ?? 1024 * 1024,
      onError: (c) => apiError(c, new InfraktError('VALIDATION', 'request body too large (max 1 MiB)')),
    }),
  );
  // A body the routes cannot read (text/plain, a form) is the client's mistake: 400, never a 500.
  api.use('/api/*', async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      // A body is what Content-Length / Transfer-Encoding announce; a declared non-JSON type is refused as is.
      const type = c.req.header('content-type') ?? '';
      const announced = c.req.header('transfer-encoding') !== undefined || Number(c.req.header('content-length')) > 0;
      if ((type !== '' || announced) && !/^application\/json\s*(;|$)/i.test(type)) {
        throw new InfraktError('VALIDATION', `request body must be JSON, not ${type.split(';')[0] || 'untyped'}`, {
          hint: 'send Content-Type: application/json',
        });
      }
    }
    await next();
  });
  api.use('/api/*', async (c, next) => {
    c.set('clientAddress', clientAddress(c));
    c.set('ctx', {
      ...ctx,
      actor: `api (${c.var.clientAddress})`,
      connect: opts.allowLocalServer ? ctx.connect : refuseLocal(ctx.connect),
      ...(opts.resolve ? { resolve: opts.resolve } : {}),
    });
    await next();
  });

  // MCP at /mcp, behind the same API key; the SDK loads on the first MCP request only.
  api.use('/mcp', guard);
  api.all('/mcp', async (c) => {
    const { mcpHandler } = await import('../mcp/http.js');
    return mcpHandler(ctx, {
      allowWrites: Boolean(opts.mcp?.allowWrites),
      clientAddress,
      catalogDirs: opts.catalogDirs,
    })(c);
  });

  const deps: RouteDeps = {
    resolve: opts.resolve,
    allowLocalGitPaths: Boolean(opts.allowLocalGitPaths),
    allowLocalServer: Boolean(opts.allowLocalServer),
    ssePingMs: opts.ssePingMs,
    reads: new ReadCache(ctx.store),
    terminals: opts.terminals ?? new TerminalTickets(),
    log,
    secrets: new OneTimeSecrets(),
    async startPlan(c, plan, onResult) {
      const handle = await c.var.ctx.jobs.start(plan.spec, plan.body);
      // The outcome is recorded on the job; nobody awaits it here.
      handle.done.then((r) => onResult?.(r, handle.id)).catch(() => undefined);
      return acceptedJob(c, handle.id);
    },
  };

  systemRoutes(api);
  serverRoutes(api, deps);
  edgeDeviceRoutes(api);
  serverRemoteRoutes(api, deps);
  proxyRoutes(api, deps);
  clusterRoutes(api, deps);
  registryRoutes(api, deps);
  appRoutes(api, deps);
  deployRoutes(api, deps);
  appLifecycleRoutes(api, deps);
  appExecRoutes(api, deps);
  cronRoutes(api, deps);
  terminalRoutes(api, deps);
  appAuthRoutes(api, deps);
  envPushRoutes(api, deps);
  envRoutes(api, deps);
  databaseRoutes(api, deps);
  backupTargetRoutes(api, deps);
  jobRoutes(api, deps);
  catalogRoutes(api, deps, opts.catalogDirs);
  catalogOutputRoutes(api, opts.catalogDirs);
  notificationRoutes(api, deps);
  previewRoutes(api, deps);
  autoDeployRoutes(api, deps);
  monitoringRoutes(api, deps);
  webhookRoutes(api, deps, opts.receiver ?? createReceiver(), opts.webhookFailureLimit ?? DEFAULT_RATE_LIMIT);

  api.openAPIRegistry.registerComponent('securitySchemes', 'ApiKey', {
    type: 'apiKey',
    in: 'header',
    name: API_KEY_HEADER,
    description: 'The key in $INFRAKT_HOME/api_key (infrakt api-key show)',
  });
  let document: unknown;
  api.openapi(
    createRoute({
      method: 'get',
      path: '/api/openapi.json',
      tags: ['system'],
      summary: 'This OpenAPI 3.1 document (public: it describes the API and holds no data)',
      security: [],
      responses: { 200: json(z.record(z.string(), z.unknown()), 'OpenAPI 3.1 document') },
    }),
    (c) => {
      document ??= openApiDocument(api);
      return c.json(document as Record<string, unknown>, 200);
    },
  );

  const docs = (body: string, type: string) => (c: Context) =>
    c.body(body, 200, {
      'Content-Type': type,
      'Content-Security-Policy': DOCS_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
    });
  api.get('/docs', docs(DOCS_HTML, 'text/html; charset=utf-8'));
  api.get('/docs/docs.js', docs(DOCS_JS, 'text/javascript; charset=utf-8'));
  api.get('/docs/docs.css', docs(DOCS_CSS, 'text/css; charset=utf-8'));

  const web = opts.webRoot ? dashboardHandler(opts.webRoot) : null;
  const notFound = (c: Context) =>
    apiError(
      c,
      new InfraktError('NOT_FOUND', `no route ${c.req.method} ${c.req.path}`, {
        hint: web ? 'see /docs for the API reference' : 'the dashboard is not built (npm run build); API docs: /docs',
      }),
    );
  api.notFound(async (c) => {
    if (c.req.path === '/api' || c.req.path.startsWith('/api/') || !web) return notFound(c);
    return (await web(c)) ?? notFound(c);
  });
  return api;
}

export function openApiDocument(api: Api) {
  return api.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: 'infrakt API', version: VERSION, description: API_DESCRIPTION },
    servers: [{ url: '/' }],
    security,
  });
}
