import type { ServerRow } from '../../adapters/store/schema.js';
import { type CpuTicks, cpuPercent, parseServerSample, sampleCommand } from '../../core/commands/server-sample.js';
import { toInfraktError } from '../../core/errors.js';
import { runChecked } from '../../core/executor.js';
import { dbLayout } from '../../core/plans/db-compose.js';
import { type Damping, thresholdAlarm } from '../../core/plans/flap.js';
import { raiseEvent } from '../notifications/events.js';
import type { Ctx } from '../shared/context.js';
import { advance, humanDuration, setAlarms, stateOf } from './states.js';

export interface ServerCheckOptions {
  timeoutMs: number;
  damping: Damping;
  diskThreshold: number;
  memoryThreshold: number;
}

interface Alarms {
  disk?: boolean;
  memory?: boolean;
  /** Finish time of the last scheduled backup run seen, per database id. */
  backups?: Record<string, string>;
}

const pct = (used: number | null, total: number | null) =>
  used === null || !total ? null : Math.round((used / total) * 1000) / 10;

/**
 * One check of one server in one SSH round trip: reachability, a metrics sample (CPU from the counters of
 * the previous sample), threshold alarms for disk and memory, and the outcome of scheduled backups.
 */
export async function checkServer(
  ctx: Ctx,
  server: ServerRow,
  cpuTicks: Map<number, CpuTicks>,
  o: ServerCheckOptions,
): Promise<void> {
  const now = ctx.clock.now().toISOString();
  const dbs = await ctx.store.db
    .selectFrom('apps')
    .select(['id', 'name', 'settings_json'])
    .where('server_id', '=', server.id)
    .where('app_type', 'like', 'db:%')
    .execute();
  const scheduled = dbs.filter((d) =>
    Boolean((JSON.parse(d.settings_json) as { db?: { schedule?: unknown } }).db?.schedule),
  );
  const t0 = performance.now();
  let out: string;
  try {
    const signal = AbortSignal.timeout(o.timeoutMs);
    const ex = await ctx.connect(server, { signal });
    try {
      const cmd = sampleCommand(
        server.root_dir,
        scheduled.map((d) => dbLayout(server.root_dir, d.name).backupsDir),
      );
      out = (await runChecked(ex, cmd, { what: 'read metrics', signal })).stdout;
    } finally {
      await ex.close().catch(() => undefined);
    }
  } catch (e) {
    const error = toInfraktError(e).message.slice(0, 300);
    await sample(ctx, server.id, now, false, null, error);
    const tr = await advance(ctx, { serverId: server.id }, { ok: false, error }, o.damping);
    if (tr.event === 'down') {
      await raiseEvent(ctx, {
        type: 'server.unreachable',
        subject: server.name,
        text: `server ${server.name} is unreachable: ${error}`,
        data: { server: server.name, host: server.host, error },
      });
    }
    return;
  }
  const ms = Math.round(performance.now() - t0);
  const s = parseServerSample(out, scheduled.length);
  const cpu = cpuPercent(cpuTicks.get(server.id), s.cpu);
  if (s.cpu) cpuTicks.set(server.id, s.cpu);
  await ctx.store.db
    .insertInto('server_metrics')
    .values({
      server_id: server.id,
      ts: now,
      cpu_pct: cpu,
      load1: s.load1,
      mem_used: s.memUsed,
      mem_total: s.memTotal,
      disk_used: s.diskUsed,
      disk_total: s.diskTotal,
      containers: s.containers,
    })
    .execute();
  await sample(ctx, server.id, now, true, ms, null);
  const tr = await advance(ctx, { serverId: server.id }, { ok: true, error: null }, o.damping);
  if (tr.event === 'up') {
    const was = tr.previousChange
      ? ` after ${humanDuration(ctx.clock.now().getTime() - Date.parse(tr.previousChange))}`
      : '';
    await raiseEvent(ctx, {
      type: 'server.reachable',
      subject: server.name,
      text: `server ${server.name} is reachable again${was}`,
      data: { server: server.name, host: server.host },
    });
  }

  const state = await stateOf(ctx, { serverId: server.id });
  const alarms = JSON.parse(state?.alarms_json ?? '{}') as Alarms;
  const disk = thresholdAlarm(Boolean(alarms.disk), s.diskPercent, o.diskThreshold);
  const memPct = pct(s.memUsed, s.memTotal);
  const mem = thresholdAlarm(Boolean(alarms.memory), memPct, o.memoryThreshold);
  if (disk.event === 'raised') {
    await raiseEvent(ctx, {
      type: 'server.disk',
      subject: server.name,
      text: `disk of ${server.name} is ${s.diskPercent}% full (threshold ${o.diskThreshold}%)`,
      data: { server: server.name, percent: s.diskPercent, threshold: o.diskThreshold, usedBytes: s.diskUsed },
    });
  }
  if (mem.event === 'raised') {
    await raiseEvent(ctx, {
      type: 'server.memory',
      subject: server.name,
      text: `memory of ${server.name} is ${memPct}% used (threshold ${o.memoryThreshold}%)`,
      data: { server: server.name, percent: memPct, threshold: o.memoryThreshold },
    });
  }
  const backups = { ...(alarms.backups ?? {}) };
  for (const [i, db] of scheduled.entries()) {
    const b = s.backups[i];
    if (!b?.at || (b.status !== 'ok' && b.status !== 'failed')) continue;
    const seen = backups[String(db.id)];
    backups[String(db.id)] = b.at;
    // The first look only learns what was there; later runs are news.
    if (seen === undefined || seen === b.at) continue;
    await raiseEvent(ctx, {
      type: b.status === 'ok' ? 'backup.succeeded' : 'backup.failed',
      subject: `${server.name}/${db.name}`,
      text:
        b.status === 'ok'
          ? `scheduled backup of ${db.name} done`
          : `scheduled backup of ${db.name} failed${b.message ? `: ${b.message}` : ''}`,
      data: { database: db.name, server: server.name, finishedAt: b.at, message: b.message, scheduled: true },
    });
  }
  await setAlarms(ctx, server.id, { disk: disk.raised, memory: mem.raised, backups });
}

async function sample(ctx: Ctx, serverId: number, ts: string, ok: boolean, ms: number | null, error: string | null) {
  await ctx.store.db
    .insertInto('health_samples')
    .values({ app_id: null, server_id: serverId, ts, ok: ok ? 1 : 0, response_ms: ms, status_code: null, error })
    .execute();
}
