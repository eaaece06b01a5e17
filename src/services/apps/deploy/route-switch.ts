import type { AppRow, ServerRow } from '../../../adapters/store/schema.js';
import type { Executor } from '../../../core/executor.js';
import { type AfterApply, applyProxyConfig } from '../../proxy/proxy-config.js';
import type { Ctx } from '../../shared/context.js';
import type { FramedScript } from '../../shared/framed-script.js';
import { appDomains, restoreRoutes, syncRoutes } from '../app-domains.js';

/**
 * Points every domain of the app at `port`: the routes in the store first, then the server's whole Caddy
 * config rendered from the store. If the config does not go live, the routes are restored as they were.
 * Returns the domains routed, and the script still running `afterApply` when it was sent with the switch.
 */
export async function switchRoute(
  ctx: Ctx,
  ex: Executor,
  server: ServerRow,
  app: AppRow,
  port: number,
  jobId: string,
  log: (l: string) => void,
  o: {
    caddyRunning?: boolean | undefined;
    afterApply?: AfterApply;
    /** Upstreams kept in Caddy's pool behind `port` (never chosen) while the previous release drains. */
    drainingPorts?: readonly number[];
    signal?: AbortSignal;
  } = {},
): Promise<{ domains: string[]; afterScript: FramedScript | null }> {
  const domains = await appDomains(ctx.store.db, app);
  const before = await ctx.store.db.transaction().execute((trx) => syncRoutes(ctx, trx, app, domains, port));
  try {
    const r = await applyProxyConfig(ctx, ex, server, {
      log,
      jobId,
      expectChange: true,
      ...(o.caddyRunning !== undefined ? { caddyRunning: o.caddyRunning } : {}),
      ...(o.afterApply ? { afterApply: o.afterApply } : {}),
      ...(o.drainingPorts?.length ? { draining: { appId: app.id, ports: o.drainingPorts } } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    return { domains, afterScript: r.afterScript ?? null };
  } catch (e) {
    await ctx.store.db.transaction().execute((trx) => restoreRoutes(trx, app.id, before));
    throw e;
  }
}
