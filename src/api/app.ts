import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { z } from 'zod';
import { anonymousPrincipal, type Principal } from '../core/access.js';
import { InfraktError } from '../core/errors.js';
import { firstPerField } from '../core/schemas/parse.js';
import { governedJobs } from '../services/governance/governed-jobs.js';
import { localServerRefused } from '../services/servers/servers.js';
import type { Ctx } from '../services/shared/context.js';
import type { Resolve } from '../services/shared/ssrf.js';
import { DEFAULT_SESSION_POLICY, type SessionPolicy } from '../services/users/sessions.js';
import { createReceiver, type Receiver } from '../services/webhooks/receive.js';
import { auditRequests } from './auth/audit-requests.js';
import { authenticate, CSRF_HEADER } from './auth/authenticate.js';
import { tableProblems } from './auth/route-permissions.js';
import {
  API_KEY_HEADER,
  type ClientAddress,
  DEFAULT_RATE_LIMIT,
  FailureLimiter,
  type RateLimit,
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
import { approvalRoutes } from './routes/approvals.js';
import { appRoutes } from './routes/apps.js';
import { auditRoutes } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
import { autoDeployRoutes } from './routes/auto-deploy.js';
import { backupTargetRoutes } from './routes/backup-targets.js';
import { catalogRoutes } from './routes/catalog.js';
import { catalogOutputRoutes } from './routes/catalog-outputs.js';
import { catalogUninstallRoutes } from './routes/catalog-uninstall.js';
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
import { oidcProviderRoutes } from './routes/oidc-providers.js';
import { policyRoutes } from './routes/policies.js';
import { previewRoutes } from './routes/previews.js';
import { privilegesRoutes } from './routes/privileges.js';
import { proxyRoutes } from './routes/proxy.js';
import { registryRoutes } from './routes/registries.js';
import { serverRemoteRoutes } from './routes/server-remote.js';
import { serverRoutes } from './routes/servers.js';
import { systemRoutes, VERSION } from './routes/system.js';
import { terminalRoutes } from './routes/terminals.js';
import { tokenRoutes } from './routes/tokens.js';
import { userRoutes } from './routes/users.js';
import { webhookRoutes } from './routes/webhooks.js';
import { dashboardHandler } from './static.js';
import { refuseUnknownBodyFields, unknownFieldIssues } from './strict-bodies.js';
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
  /** Dashboard sessions: idle and absolute expiry. */
  sessions?: SessionPolicy;
  /**
   * Mark cookies Secure: `true` always (behind a TLS proxy that does not say so), default: when the request came
   * over https (or, with a trusted proxy, X-Forwarded-Proto says https).
   */
  secureCookies?: boolean;
  trustProxy?: boolean;
  /** Push-to-deploy receiver (shared with the poller of `infrakt serve`); a fresh one by default. */
  receiver?: Receiver;
  /** Failed webhook deliveries allowed per address before 429 (default 10 per minute). */
  webhookFailureLimit?: RateLimit;
  /** MCP over Streamable HTTP at /mcp (behind the API key); write tools only with allowWrites. */
  mcp?: { allowWrites: boolean };
  /** Tickets of the terminal WebSocket, shared with the socket endpoint of the listening server. */
  terminals?: TerminalTickets;
}

export const API_DESCRIPTION =
  'HTTP API of infrakt: the same services and schemas as the CLI. Every route except GET /api/health, this ' +
  'document (GET /api/openapi.json), sign-in and the webhook deliveries (POST /api/webhooks/{hookId}, signed with ' +
  'the app secret instead) ' +
  `needs credentials: the owner's ${API_KEY_HEADER}, a scoped token (Authorization: Bearer ikt_…), or the dashboard's ` +
  `session cookie with ${CSRF_HEADER} on every change (missing: 401, wrong or not allowed for the role/scope: 403, ` +
  'repeated failures: 429). Errors are { "error": { "code", "message", ' +
  '"hint" } }. Operations that act on servers run as jobs: 202 with { jobId, job } and Location: /api/jobs/{id}. ' +
  SSE_DESCRIPTION;

function validationFrom(error: z.ZodError, target: string): InfraktError {
  const issues = firstPerField(
    error.issues.flatMap(
      (i) =>
        unknownFieldIssues(i) ?? [
          {
            field: i.path.length ? i.path.map(String).join('.') : target,
            message: i.message,
          },
        ],
    ),
  );
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
  refuseUnknownBodyFields(api);

  api.use('/api/*', async (c, next) => {
    // Set before the route answers: Hono applies them to the response it builds. A header set on a finished
    // response makes Hono rebuild it from `res.body`, a stream, which copies a Uint8Array body (a cached
    // 300 KiB list) on every request and writes it chunk by chunk. Afterwards only where a route built its own
    // response with other values: these two always win, as before.
    c.header('Cache-Control', 'no-store');
    c.header('X-Content-Type-Options', 'nosniff');
    await next();
    if (c.res.headers.get('Cache-Control') !== 'no-store') c.header('Cache-Control', 'no-store');
    if (c.res.headers.get('X-Content-Type-Options') !== 'nosniff') c.header('X-Content-Type-Options', 'nosniff');
  });
  if (opts.corsOrigins?.length) {
    const allowed = new Set(opts.corsOrigins);
    api.use(
      '/api/*',
      cors({
        origin: (origin) => (allowed.has(origin) ? origin : null),
        allowHeaders: [API_KEY_HEADER, 'Authorization', CSRF_HEADER, 'Content-Type', 'Last-Event-ID'],
        allowMethods: ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
        exposeHeaders: ['Location', 'Retry-After'],
        maxAge: 600,
      }),
    );
  }
  const sessions = opts.sessions ?? DEFAULT_SESSION_POLICY;
  const isSecure = (c: Context) =>
    opts.secureCookies === true ||
    new URL(c.req.url).protocol === 'https:' ||
    (Boolean(opts.trustProxy) && c.req.header('X-Forwarded-Proto')?.split(',')[0]?.trim() === 'https');
  api.use('/api/*', async (c, next) => {
    c.set('clientAddress', clientAddress(c));
    await next();
  });
  api.use(
    '/api/*',
    auditRequests(() => ctx),
  );
  api.use('/api/*', authenticate(ctx, { apiKey: opts.apiKey, limiter, clientAddress, sessions, isSecure }));
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
    c.set(
      'ctx',
      requestCtx(
        { ...ctx, connect: opts.allowLocalServer ? ctx.connect : refuseLocal(ctx.connect) },
        c.var.principal,
        c.var.clientAddress,
        opts.resolve,
      ),
    );
    await next();
  });

  // MCP at /mcp, behind the same credentials as the API; each tool checks the caller's level and scope (the route
  // table has no line for it: one route, many tools). The SDK loads on the first MCP request only.
  api.use('/mcp', async (c, next) => {
    c.set('clientAddress', clientAddress(c));
    await next();
  });
  api.use('/mcp', authenticate(ctx, { apiKey: opts.apiKey, limiter, clientAddress, sessions, isSecure }));
  api.all('/mcp', async (c) => {
    const { mcpHandler } = await import('../mcp/http.js');
    const base = { ...ctx, connect: opts.allowLocalServer ? ctx.connect : refuseLocal(ctx.connect) };
    const mcpCtx = requestCtx(base, c.var.principal, c.var.clientAddress, opts.resolve);
    return mcpHandler(mcpCtx, {
      allowWrites: Boolean(opts.mcp?.allowWrites),
      clientAddress,
      catalogDirs: opts.catalogDirs,
    })(c);
  });

  const deps: RouteDeps = {
    accepted: acceptedJob,
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
  catalogUninstallRoutes(api, deps, opts.catalogDirs);
  catalogRoutes(api, deps, opts.catalogDirs);
  catalogOutputRoutes(api, opts.catalogDirs);
  authRoutes(api, { limiter, clientAddress, sessions, isSecure });
  userRoutes(api);
  oidcProviderRoutes(api);
  tokenRoutes(api);
  auditRoutes(api);
  policyRoutes(api);
  approvalRoutes(api, deps);
  notificationRoutes(api, deps);
  previewRoutes(api, deps);
  autoDeployRoutes(api, deps);
  privilegesRoutes(api, deps);
  monitoringRoutes(api, deps);
  webhookRoutes(api, deps, opts.receiver ?? createReceiver(), opts.webhookFailureLimit ?? DEFAULT_RATE_LIMIT);

  api.openAPIRegistry.registerComponent('securitySchemes', 'ApiKey', {
    type: 'apiKey',
    in: 'header',
    name: API_KEY_HEADER,
    description: 'The owner key in $INFRAKT_HOME/api_key (infrakt api-key show); a scoped token works here too',
  });
  api.openAPIRegistry.registerComponent('securitySchemes', 'BearerToken', {
    type: 'http',
    scheme: 'bearer',
    description:
      'A scoped API token (infrakt token create): read, deploy or admin, optionally limited to an app/server',
  });
  api.openAPIRegistry.registerComponent('securitySchemes', 'SessionCookie', {
    type: 'apiKey',
    in: 'cookie',
    name: 'infrakt_session',
    description: `The dashboard session (POST /api/auth/login); changes also need ${CSRF_HEADER} from GET /api/auth/me`,
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
  // No route without a line in the permission table: a route added without one would be open to every role.
  const { missing, stale } = tableProblems(registeredRoutes(api));
  if (missing.length || stale.length) {
    throw new Error(
      `the API route permission table (src/api/auth/route-permissions.ts) is out of date: ${[
        ...missing.map((m) => `missing ${m}`),
        ...stale.map((s) => `no such route ${s}`),
      ].join('; ')}`,
    );
  }
  return api;
}

/** Every method + path the app serves under /api (validators add duplicate entries: deduped). */
export function registeredRoutes(api: Api): { method: string; path: string }[] {
  const seen = new Map<string, { method: string; path: string }>();
  for (const r of api.routes) {
    if (r.method === 'ALL' || !r.path.startsWith('/api/')) continue;
    seen.set(`${r.method} ${r.path}`, { method: r.method, path: r.path });
  }
  return [...seen.values()];
}

/** The context of one request: its principal, actor label and address, and the job runner behind the gate. */
function requestCtx(base: Ctx, p: Principal | undefined, addr: string, resolve: Resolve | undefined): Ctx {
  const actor = !p || p.kind === 'owner' ? `api (${addr})` : `${p.name} (api, ${addr})`;
  const ctx: Ctx = {
    ...base,
    actor,
    source: addr,
    principal: p ?? anonymousPrincipal(),
    ...(resolve ? { resolve } : {}),
    jobs: base.jobs,
  };
  (ctx as { jobs: Ctx['jobs'] }).jobs = governedJobs(base.jobs, () => ctx);
  return ctx;
}

export function openApiDocument(api: Api) {
  return api.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: 'infrakt API', version: VERSION, description: API_DESCRIPTION },
    servers: [{ url: '/' }],
    security,
  });
}
