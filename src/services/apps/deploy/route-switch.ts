import type { AppRow, ServerRow } from '../../../adapters/store/schema.js';
import { InfraktError } from '../../../core/errors.js';
import type { Executor } from '../../../core/executor.js';
import { applyProxyConfig } from '../../proxy/proxy-config.js';
import type { Ctx } from '../../shared/context.js';
import { nowIso } from '../../shared/context.js';

/**
 * Points the app's domain at `port`: the route in the store first, then the server's whole Caddy config
 * rendered from the store. If the config does not go live, the route is restored as it was (or removed).
 */
export async function switchRoute(
  ctx: Ctx,
  ex: Executor,
  server: ServerRow,
  app: AppRow,
  port: number,
  jobId: string,
  log: (l: string) => void,
  o: { caddyRunning?: boolean | undefined } = {},
): Promise<void> {
  const domain = app.domain!;
  const before = await ctx.store.db
    .selectFrom('proxy_routes')
    .selectAll()
    .where('server_id', '=', server.id)
    .where('domain', '=', domain)
    .executeTakeFirst();
  if (before && before.app_id !== null && before.app_id !== app.id)
    throw new InfraktError('CONFLICT', `${domain} is routed to another app`, {
      hint: 'give this app another domain, or destroy the app that has it',
    });
  if (before)
    await ctx.store.db
      .updateTable('proxy_routes')
      .set({ upstream_port: port, app_id: app.id })
      .where('id', '=', before.id)
      .execute();
  else
    await ctx.store.db
      .insertInto('proxy_routes')
      .values({ server_id: server.id, domain, upstream_port: port, app_id: app.id, created_at: nowIso(ctx) })
      .execute();
  try {
    await applyProxyConfig(ctx, ex, server, {
      log,
      jobId,
      expectChange: true,
      ...(o.caddyRunning !== undefined ? { caddyRunning: o.caddyRunning } : {}),
    });
  } catch (e) {
    if (before)
      await ctx.store.db
        .updateTable('proxy_routes')
        .set({ upstream_port: before.upstream_port, app_id: before.app_id })
        .where('id', '=', before.id)
        .execute();
    else
      await ctx.store.db
        .deleteFrom('proxy_routes')
        .where('server_id', '=', server.id)
        .where('domain', '=', domain)
        .execute();
    throw e;
  }
}
