import type { ServerRow } from '../../adapters/store/schema.js';
import { peerCertificate } from '../../adapters/tls/peer-certificate.js';
import { caddyfileInSync } from '../../core/caddy/render.js';
import { caddyPaths } from '../../core/commands/caddy.js';
import { InfraktError, notFound } from '../../core/errors.js';
import type { Executor } from '../../core/executor.js';
import type { JobContext } from '../../core/jobs.js';
import { domainSchema, portSchema } from '../../core/schemas/common.js';
import { parseInput } from '../../core/schemas/parse.js';
import type { CertificateView, ProxyRouteView, ProxyStatus } from '../../core/schemas/views/proxy.js';
import { getServerRow, serverSettings } from '../servers/servers.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';
import { withServer } from '../shared/server-session.js';
import {
  type ApplyResult,
  applyProxyConfig,
  caddyAnswers,
  renderServerCaddyfile,
  storedRoutes,
} from './proxy-config.js';

export const proxyLock = (serverId: number): string => `proxy:${serverId}`;

export async function applyStep(ctx: Ctx, job: JobContext, ex: Executor, server: ServerRow, force = false) {
  return job.step('apply caddy config', async (s): Promise<ApplyResult> => {
    const r = await applyProxyConfig(ctx, ex, server, { force, log: (l) => s.log(l), jobId: job.id });
    if (!r.changed) s.unchanged('config already live');
    else s.detail(r.mode);
    return r;
  });
}

/**
 * A change of the local routes that the rendered config is made from: applied before rendering, undone when
 * the server did not take the new config (connection, validation, reload or cancellation failed), so local
 * state never drifts from what Caddy serves and a retry after any failure starts from the same place.
 */
interface RouteChange {
  apply(): Promise<void>;
  undo(): Promise<void>;
  /** Recorded once the server accepted the change. */
  audit(): Promise<void>;
}

function proxyPlan(
  ctx: Ctx,
  server: ServerRow,
  kind: string,
  params: Record<string, unknown>,
  force: boolean,
  change?: RouteChange,
): JobPlan<ApplyResult> {
  return {
    spec: {
      kind,
      target: server.name,
      serverId: server.id,
      params,
      locks: [proxyLock(server.id)],
      waitForLocksMs: 60_000,
    },
    body: async (job) => {
      await change?.apply();
      let result: ApplyResult;
      try {
        result = await withServer(ctx, job, server, { lock: null }, ({ ex }) => applyStep(ctx, job, ex, server, force));
      } catch (e) {
        await change?.undo();
        throw e;
      }
      await change?.audit();
      return result;
    },
  };
}

/** `proxy setup`: Caddy runs with infrakt's config (started when not running, reloaded otherwise). */
export async function prepareProxySetup(ctx: Ctx, serverName: string): Promise<JobPlan<ApplyResult>> {
  const server = await getServerRow(ctx, serverName);
  return proxyPlan(ctx, server, 'proxy.setup', {}, true);
}

export async function prepareProxyReload(ctx: Ctx, serverName: string): Promise<JobPlan<ApplyResult>> {
  const server = await getServerRow(ctx, serverName);
  return proxyPlan(ctx, server, 'proxy.reload', {}, true);
}

/** `proxy add <domain> --server --port`: a manual route (not tied to an app). */
export async function prepareProxyAdd(
  ctx: Ctx,
  input: { domain: string; server: string; port: number },
): Promise<JobPlan<ApplyResult>> {
  const domain = parseInput(domainSchema, input.domain, 'domain');
  const port = parseInput(portSchema, input.port, 'port');
  const server = await getServerRow(ctx, input.server);
  const clash = await ctx.store.db
    .selectFrom('proxy_routes')
    .select('domain')
    .where('server_id', '=', server.id)
    .where('domain', '=', domain)
    .executeTakeFirst();
  const app =
    (await ctx.store.db
      .selectFrom('apps')
      .select('name')
      .where('server_id', '=', server.id)
      .where('domain', '=', domain)
      .executeTakeFirst()) ??
    (await ctx.store.db
      .selectFrom('app_domains')
      .innerJoin('apps', 'apps.id', 'app_domains.app_id')
      .select('apps.name as name')
      .where('app_domains.server_id', '=', server.id)
      .where('app_domains.domain', '=', domain)
      .executeTakeFirst());
  if (clash || app) {
    throw new InfraktError(
      'CONFLICT',
      `${domain} already has a route on ${server.name}${app ? ` (app '${app.name}')` : ''}`,
      {
        hint: app
          ? 'app routes follow their app: change or destroy the app'
          : `remove it first: infrakt proxy remove ${domain} --server ${server.name}`,
      },
    );
  }
  return proxyPlan(ctx, server, 'proxy.add', { domain, port }, false, {
    apply: async () => {
      await ctx.store.db
        .insertInto('proxy_routes')
        .values({ server_id: server.id, domain, upstream_port: port, app_id: null, created_at: nowIso(ctx) })
        .execute();
    },
    undo: async () => {
      await ctx.store.db
        .deleteFrom('proxy_routes')
        .where('server_id', '=', server.id)
        .where('domain', '=', domain)
        .where('app_id', 'is', null)
        .execute();
    },
    audit: () => audit(ctx, 'proxy.add', `${server.name}/${domain}`, { port }),
  });
}

export async function prepareProxyRemove(
  ctx: Ctx,
  input: { domain: string; server: string },
): Promise<JobPlan<ApplyResult>> {
  const domain = parseInput(domainSchema, input.domain, 'domain');
  const server = await getServerRow(ctx, input.server);
  const row = await ctx.store.db
    .selectFrom('proxy_routes')
    .selectAll()
    .where('server_id', '=', server.id)
    .where('domain', '=', domain)
    .executeTakeFirst();
  if (!row) throw notFound('proxy route', domain, `list routes with: infrakt proxy domains ${server.name}`);
  if (row.app_id !== null) {
    throw new InfraktError('CONFLICT', `${domain} is the route of an app`, {
      hint: 'it goes away when the app is destroyed (infrakt app destroy <app>)',
    });
  }
  return proxyPlan(ctx, server, 'proxy.remove', { domain }, false, {
    apply: async () => {
      await ctx.store.db.deleteFrom('proxy_routes').where('id', '=', row.id).execute();
    },
    undo: async () => {
      await ctx.store.db
        .insertInto('proxy_routes')
        .values(row)
        .onConflict((oc) => oc.doNothing())
        .execute();
    },
    audit: () => audit(ctx, 'proxy.remove', `${server.name}/${domain}`, {}),
  });
}

export async function listProxyRoutes(ctx: Ctx, serverName: string): Promise<ProxyRouteView[]> {
  const server = await getServerRow(ctx, serverName);
  const rows = await storedRoutes(ctx, server.id);
  return rows.map((r) => ({ domain: r.domain, upstreamPort: r.upstream_port, app: r.app_name ?? null }));
}

/** The certificate Caddy serves for each domain: a TLS handshake with SNI through the server's connection. */
async function servedCertificates(
  ex: Executor,
  domains: readonly string[],
  httpsPort: number,
  now: Date,
): Promise<CertificateView[]> {
  const one = async (domain: string): Promise<CertificateView> => {
    try {
      const cert = await peerCertificate(await ex.connectTcp(httpsPort), domain);
      const daysLeft = Math.floor((Date.parse(cert.notAfter) - now.getTime()) / 86_400_000);
      return { domain, issuer: cert.issuer || null, notAfter: cert.notAfter, daysLeft, error: null };
    } catch (e) {
      return { domain, issuer: null, notAfter: null, daysLeft: null, error: (e as Error).message };
    }
  };
  const out: CertificateView[] = [];
  // A few at a time: each is a forwarded channel and a handshake.
  for (let i = 0; i < domains.length; i += 4) out.push(...(await Promise.all(domains.slice(i, i + 4).map(one))));
  return out;
}

/** Read-only: is Caddy answering, does the server's config match the store, and which certificates it serves. */
export async function proxyStatus(ctx: Ctx, serverName: string): Promise<ProxyStatus> {
  const server = await getServerRow(ctx, serverName);
  const { adminAddress, tls, httpsPort } = serverSettings(server).proxy;
  const want = await renderServerCaddyfile(ctx, server);
  const paths = caddyPaths(server.root_dir);
  const ex = await ctx.connect(server);
  try {
    const running = await caddyAnswers(ex, adminAddress);
    const have = await ex.get(paths.config).then(
      (b) => b.toString('utf8'),
      () => null,
    );
    const routes = await listProxyRoutes(ctx, serverName);
    const certificates =
      running && tls !== 'off'
        ? await servedCertificates(
            ex,
            routes.map((r) => r.domain),
            httpsPort,
            ctx.clock.now(),
          )
        : [];
    return {
      server: server.name,
      running,
      adminAddress,
      configPath: paths.config,
      inSync: have !== null && caddyfileInSync(have, want),
      routes,
      certificates,
    };
  } finally {
    await ex.close();
  }
}
