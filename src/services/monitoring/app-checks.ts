import { type ProbeResult, probeHttp } from '../../adapters/http/probe.js';
import type { AppRow, ServerRow } from '../../adapters/store/schema.js';
import type { Damping } from '../../core/plans/flap.js';
import { appSettings } from '../apps/release-source.js';
import { raiseEvent } from '../notifications/events.js';
import { serverSettings } from '../servers/servers.js';
import type { Ctx } from '../shared/context.js';
import { advance, forget, humanDuration } from './states.js';

/** Where a visitor's request for the app's domain arrives: the server's proxy, addressed directly. */
export function probeTargetOf(app: AppRow, server: ServerRow, timeoutMs: number) {
  const proxy = serverSettings(server).proxy;
  const https = proxy.tls !== 'off';
  return {
    address: server.host === 'local' ? '127.0.0.1' : server.host,
    port: https ? proxy.httpsPort : proxy.httpPort,
    https,
    verifyTls: proxy.tls === 'auto',
    hostname: app.domain ?? '',
    path: appSettings(app).health.path,
    timeoutMs,
  };
}

export const appUrl = (app: AppRow, server: ServerRow) => {
  const t = probeTargetOf(app, server, 0);
  return `${t.https ? 'https' : 'http'}://${t.hostname}${t.path}`;
};

/** Up: a 2xx/3xx answer, or one of the statuses the app's health check accepts (e.g. 401 of an API). */
export function isUp(app: AppRow, r: ProbeResult): boolean {
  if (r.status === null) return false;
  return (r.status >= 200 && r.status < 400) || (appSettings(app).health.accept ?? []).includes(r.status);
}

/** Apps the monitor watches: deployed, with a domain, not stopped on purpose. */
export const watched = (app: AppRow): boolean =>
  Boolean(app.domain) && app.current_release !== null && app.status !== 'stopped' && !app.app_type.startsWith('db:');

/** One check of one app: a sample in its history, the damped state, and a down/up event when it changes. */
export async function checkApp(
  ctx: Ctx,
  app: AppRow,
  server: ServerRow,
  o: { timeoutMs: number; damping: Damping },
): Promise<void> {
  if (!watched(app)) {
    await forget(ctx, { appId: app.id });
    return;
  }
  const r = await probeHttp(probeTargetOf(app, server, o.timeoutMs));
  const ok = isUp(app, r);
  const error = ok ? null : (r.error ?? `HTTP ${r.status}`);
  await ctx.store.db
    .insertInto('health_samples')
    .values({
      app_id: app.id,
      server_id: null,
      ts: ctx.clock.now().toISOString(),
      ok: ok ? 1 : 0,
      response_ms: r.status === null ? null : r.ms,
      status_code: r.status,
      error,
    })
    .execute();
  const tr = await advance(ctx, { appId: app.id }, { ok, error }, o.damping);
  if (!tr.event) return;
  const subject = `${server.name}/${app.name}`;
  const url = appUrl(app, server);
  const down = tr.event === 'down';
  const was = tr.previousChange
    ? ` (${down ? 'up' : 'down'} for ${humanDuration(ctx.clock.now().getTime() - Date.parse(tr.previousChange))})`
    : '';
  await raiseEvent(ctx, {
    type: down ? 'health.down' : 'health.up',
    subject,
    text: down
      ? `${app.name} is down: ${error} at ${url}${was}`
      : `${app.name} is up again${was}: HTTP ${r.status} in ${r.ms} ms`,
    data: { app: app.name, server: server.name, url, status: r.status, ms: r.ms, error },
  });
}
