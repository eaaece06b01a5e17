import { InfraktError } from '../../core/errors.js';
import { healthCheckSchema } from '../../core/schemas/app.js';
import { domainSchema, hostSchema, portSchema, remoteRootSchema, sshUserSchema } from '../../core/schemas/common.js';
import { parseInput } from '../../core/schemas/parse.js';
import { type ProxySettings, proxySettingsSchema } from '../../core/schemas/server.js';
import { resolveApp, type updateApp } from '../apps/apps.js';
import { appSettings } from '../apps/release-source.js';
import { countApps, getServerRow, updateServer } from '../servers/servers.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';

export interface AppFieldPatch {
  port?: number;
  /** null: no domain. */
  domain?: string | null;
  healthPath?: string;
  healthTimeoutMs?: number;
}

/**
 * Port, domain and health check of an app, applied by the next deploy. A domain that is dropped loses its route
 * in the store here; the deploy re-renders the server's Caddy config without it. Returns whether a route went
 * away (with no new domain, the caller reloads the proxy since a deploy then does not touch it).
 */
export async function updateAppFields(
  ctx: Ctx,
  server: string,
  name: string,
  patch: AppFieldPatch,
): Promise<{ routeRemoved: boolean }> {
  const { app, server: srv } = await resolveApp(ctx, name, server);
  const set: Parameters<typeof updateApp>[2] = {};
  if (patch.port !== undefined) set.port = parseInput(portSchema, patch.port, 'port');
  if (patch.domain !== undefined) {
    const domain = patch.domain === null ? null : parseInput(domainSchema, patch.domain, 'domain');
    if (domain) {
      const clash = await ctx.store.db
        .selectFrom('proxy_routes')
        .leftJoin('apps', 'apps.id', 'proxy_routes.app_id')
        .select(['proxy_routes.app_id', 'apps.name'])
        .where('proxy_routes.server_id', '=', srv.id)
        .where('proxy_routes.domain', '=', domain)
        .executeTakeFirst();
      const appClash = await ctx.store.db
        .selectFrom('apps')
        .select('name')
        .where('server_id', '=', srv.id)
        .where('domain', '=', domain)
        .where('id', '!=', app.id)
        .executeTakeFirst();
      if (appClash || (clash && clash.app_id !== app.id)) {
        throw new InfraktError(
          'CONFLICT',
          `${domain} is already routed on ${srv.name}${appClash ? ` (app '${appClash.name}')` : ' (a manual route)'}`,
        );
      }
    }
    set.domain = domain;
  }
  if (patch.healthPath !== undefined || patch.healthTimeoutMs !== undefined) {
    const s = appSettings(app);
    const health = healthCheckSchema.parse({
      ...s.health,
      ...(patch.healthPath !== undefined ? { path: patch.healthPath } : {}),
      ...(patch.healthTimeoutMs !== undefined ? { timeoutMs: patch.healthTimeoutMs } : {}),
    });
    set.settings_json = JSON.stringify({ ...(JSON.parse(app.settings_json || '{}') as object), health });
  }
  if (Object.keys(set).length === 0) return { routeRemoved: false };
  let routeRemoved = false;
  await ctx.store.db.transaction().execute(async (trx) => {
    if (set.domain !== undefined) {
      const r = await trx
        .deleteFrom('proxy_routes')
        .where('app_id', '=', app.id)
        .where((eb) => (set.domain ? eb('domain', '!=', set.domain) : eb.lit(true)))
        .executeTakeFirst();
      routeRemoved = Number(r.numDeletedRows) > 0;
    }
    await trx.updateTable('apps').set(set).where('id', '=', app.id).execute();
  });
  await audit(ctx, 'app.settings', `${srv.name}/${app.name}`, { ...patch });
  return { routeRemoved };
}

export interface ServerFieldPatch {
  host?: string;
  user?: string;
  port?: number;
  keyPath?: string | null;
  root?: string;
  labels?: Record<string, string>;
  proxy?: ProxySettings;
  pullPolicy?: 'missing' | 'never';
}

/** Connection fields and settings of a registered server (validated; root only while it has no apps). */
export async function updateServerFields(ctx: Ctx, name: string, patch: ServerFieldPatch): Promise<void> {
  const row = await getServerRow(ctx, name);
  // Each given field on its own: a schema with defaults would fill in (and overwrite) the ones not given.
  const conn = {
    host: patch.host === undefined ? undefined : parseInput(hostSchema, patch.host, 'host'),
    user: patch.user === undefined ? undefined : parseInput(sshUserSchema, patch.user, 'user'),
    port: patch.port === undefined ? undefined : parseInput(portSchema, patch.port, 'port'),
    root: patch.root === undefined ? undefined : parseInput(remoteRootSchema, patch.root, 'root'),
  };
  if (conn.root !== undefined && conn.root !== row.root_dir && (await countApps(ctx, row.id)) > 0) {
    throw new InfraktError('UNSUPPORTED', `server '${name}' has apps under ${row.root_dir}: its root cannot move`, {
      hint: 'keep root as it is, or destroy its apps and databases first',
    });
  }
  const settings = JSON.parse(row.settings_json || '{}') as Record<string, unknown>;
  if (patch.labels) settings.labels = patch.labels;
  if (patch.proxy) {
    const proxy = parseInput(proxySettingsSchema, patch.proxy, 'proxy settings');
    if (proxy.httpPort === proxy.httpsPort)
      throw new InfraktError('VALIDATION', 'the HTTP and HTTPS ports must differ');
    settings.proxy = proxy;
  }
  if (patch.pullPolicy) settings.pull = patch.pullPolicy;
  await updateServer(ctx, row.id, {
    ...(conn.host !== undefined ? { host: conn.host } : {}),
    ...(conn.user !== undefined ? { user: conn.user } : {}),
    ...(conn.port !== undefined ? { port: conn.port } : {}),
    ...(patch.keyPath !== undefined ? { key_path: patch.keyPath } : {}),
    ...(conn.root !== undefined ? { root_dir: conn.root } : {}),
    settings_json: JSON.stringify(settings),
  });
  await audit(ctx, 'server.update', name, { fields: Object.keys(patch) });
}
