import type { AppHealthView, MonitorTargetView, ServerMetricsView } from '../../core/schemas/views/monitoring.js';
import { resolveApp } from '../apps/apps.js';
import { getServerRow } from '../servers/servers.js';
import { visible } from '../shared/access.js';
import type { Ctx } from '../shared/context.js';
import { appUrl, watched } from './app-checks.js';
import { stateOf } from './states.js';

/** Samples kept by the store (pruned by the monitor): the window views look back over. */
export const DEFAULT_HISTORY_HOURS = 24;
const MAX_POINTS = 720;

const round1 = (n: number) => Math.round(n * 10) / 10;
const pct = (used: number | null, total: number | null) =>
  used === null || !total ? null : round1((used / total) * 100);

/** Keeps charts light: at most MAX_POINTS evenly spread samples (the newest always kept). */
function thin<T>(rows: T[]): T[] {
  if (rows.length <= MAX_POINTS) return rows;
  const step = rows.length / MAX_POINTS;
  const out: T[] = [];
  for (let i = 0; i < MAX_POINTS - 1; i++) out.push(rows[Math.floor(i * step)]!);
  out.push(rows.at(-1)!);
  return out;
}

const since = (ctx: Pick<Ctx, 'clock'>, hours: number) =>
  new Date(ctx.clock.now().getTime() - hours * 3_600_000).toISOString();

async function uptime(ctx: Ctx, col: 'app_id' | 'server_id', id: number, from: string): Promise<number | null> {
  const r = await ctx.store.db
    .selectFrom('health_samples')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.sum<number>('ok').as('up')])
    .where(col, '=', id)
    .where('ts', '>=', from)
    .executeTakeFirstOrThrow();
  return Number(r.n) ? round1((Number(r.up) / Number(r.n)) * 100) : null;
}

/** `app health`, the dashboard's uptime and response-time chart. */
export async function appHealth(
  ctx: Ctx,
  name: string,
  opts: { server?: string; hours?: number } = {},
): Promise<AppHealthView> {
  const { app, server } = await resolveApp(ctx, name, opts.server);
  const hours = opts.hours ?? DEFAULT_HISTORY_HOURS;
  const from = since(ctx, hours);
  const rows = await ctx.store.db
    .selectFrom('health_samples')
    .select(['ts', 'ok', 'response_ms', 'status_code', 'error'])
    .where('app_id', '=', app.id)
    .where('ts', '>=', from)
    .orderBy('ts')
    .execute();
  const st = await stateOf(ctx, { appId: app.id });
  const times = rows.filter((r) => r.ok && r.response_ms !== null).map((r) => r.response_ms!);
  return {
    app: app.name,
    server: server.name,
    watched: watched(app),
    url: app.domain ? appUrl(app, server) : null,
    state: st?.state ?? 'unknown',
    since: st?.changed_at ?? null,
    checkedAt: st?.checked_at ?? null,
    lastError: st?.last_error ?? null,
    windowHours: hours,
    uptimePercent: await uptime(ctx, 'app_id', app.id, from),
    avgResponseMs: times.length ? Math.round(times.reduce((a, b) => a + b, 0) / times.length) : null,
    samples: thin(rows).map((r) => ({
      ts: r.ts,
      ok: r.ok === 1,
      ms: r.response_ms,
      status: r.status_code,
      error: r.error,
    })),
  };
}

/** `server metrics`, the dashboard's history charts (CPU, memory, disk, containers). */
export async function serverMetrics(ctx: Ctx, name: string, opts: { hours?: number } = {}): Promise<ServerMetricsView> {
  const server = await getServerRow(ctx, name);
  const hours = opts.hours ?? DEFAULT_HISTORY_HOURS;
  const from = since(ctx, hours);
  const rows = await ctx.store.db
    .selectFrom('server_metrics')
    .selectAll()
    .where('server_id', '=', server.id)
    .where('ts', '>=', from)
    .orderBy('ts')
    .execute();
  const st = await stateOf(ctx, { serverId: server.id });
  const alarms = JSON.parse(st?.alarms_json ?? '{}') as { disk?: boolean; memory?: boolean };
  return {
    server: server.name,
    state: st?.state ?? 'unknown',
    since: st?.changed_at ?? null,
    checkedAt: st?.checked_at ?? null,
    lastError: st?.last_error ?? null,
    alarms: { disk: Boolean(alarms.disk), memory: Boolean(alarms.memory) },
    windowHours: hours,
    uptimePercent: await uptime(ctx, 'server_id', server.id, from),
    samples: thin(rows).map((r) => ({
      ts: r.ts,
      cpuPercent: r.cpu_pct,
      load1: r.load1,
      memPercent: pct(r.mem_used, r.mem_total),
      diskPercent: pct(r.disk_used, r.disk_total),
      containers: r.containers,
    })),
  };
}

/** Every watched target with its state: the dashboard's overview and `infrakt monitor status`. */
export async function monitorOverview(ctx: Ctx, opts: { hours?: number } = {}): Promise<MonitorTargetView[]> {
  const from = since(ctx, opts.hours ?? DEFAULT_HISTORY_HOURS);
  const rows = await ctx.store.db
    .selectFrom('monitor_states')
    .leftJoin('apps', 'apps.id', 'monitor_states.app_id')
    .leftJoin('servers as app_server', 'app_server.id', 'apps.server_id')
    .leftJoin('servers', 'servers.id', 'monitor_states.server_id')
    .selectAll('monitor_states')
    .select(['apps.name as app_name', 'app_server.name as app_server_name', 'servers.name as server_name'])
    .execute();
  const out: MonitorTargetView[] = [];
  // A principal limited to some servers/apps sees only those.
  const shown = visible(ctx, rows, (r) =>
    r.app_id !== null
      ? { server: r.app_server_name ?? undefined, app: r.app_name ?? undefined }
      : { server: r.server_name ?? undefined },
  );
  for (const r of shown) {
    const isApp = r.app_id !== null;
    out.push({
      kind: isApp ? 'app' : 'server',
      name: (isApp ? r.app_name : r.server_name) ?? '?',
      server: (isApp ? r.app_server_name : r.server_name) ?? '?',
      state: r.state,
      since: r.changed_at,
      checkedAt: r.checked_at,
      lastError: r.last_error,
      uptimePercent: await uptime(ctx, isApp ? 'app_id' : 'server_id', (isApp ? r.app_id : r.server_id)!, from),
    });
  }
  return out.sort(
    (a, b) => a.kind.localeCompare(b.kind) || a.server.localeCompare(b.server) || a.name.localeCompare(b.name),
  );
}
