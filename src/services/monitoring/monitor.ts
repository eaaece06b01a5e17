import type { CpuTicks } from '../../core/commands/server-sample.js';
import { toInfraktError } from '../../core/errors.js';
import type { Damping } from '../../core/plans/flap.js';
import type { Ctx } from '../shared/context.js';
import { checkApp, watched } from './app-checks.js';
import { DEFAULT_HISTORY_HOURS } from './history.js';
import { checkServer } from './server-checks.js';
import { forgetApps } from './states.js';

export interface MonitorOptions {
  /** Deadline of one probe or one server round trip. */
  timeoutMs: number;
  damping: Damping;
  /** Percent of the fullest filesystem / of memory that raises an alarm. */
  diskThreshold: number;
  memoryThreshold: number;
  /** Samples older than this are pruned (the store stays bounded). */
  historyHours: number;
  /** Targets checked at once: one slow server does not delay the others' samples. */
  concurrency: number;
}

export const DEFAULT_MONITOR: MonitorOptions = {
  timeoutMs: 10_000,
  damping: { downAfter: 2, upAfter: 2 },
  diskThreshold: 90,
  memoryThreshold: 90,
  historyHours: DEFAULT_HISTORY_HOURS,
  concurrency: 4,
};

export interface MonitorReport {
  servers: number;
  apps: number;
  errors: string[];
}

/**
 * The monitor of `infrakt serve`: each round checks every server (one SSH round trip: reachability and a
 * metrics sample) and every watched app (one GET through its server's proxy), then prunes old samples.
 * It keeps the previous CPU counters of each server between rounds (CPU % is a difference of two samples).
 */
export class Monitor {
  private readonly cpuTicks = new Map<number, CpuTicks>();

  constructor(private readonly o: MonitorOptions = DEFAULT_MONITOR) {}

  async round(ctx: Ctx): Promise<MonitorReport> {
    const servers = await ctx.store.db.selectFrom('servers').selectAll().orderBy('name').execute();
    const apps = await ctx.store.db.selectFrom('apps').selectAll().orderBy('name').execute();
    const byId = new Map(servers.map((s) => [s.id, s]));
    const report: MonitorReport = { servers: servers.length, apps: 0, errors: [] };
    const unwatched: number[] = [];
    const work: (() => Promise<void>)[] = [
      ...servers.map((s) => () => checkServer(ctx, s, this.cpuTicks, this.o)),
      ...apps.flatMap((a) => {
        const server = byId.get(a.server_id);
        if (!server) return [];
        report.apps++;
        if (!watched(a)) {
          unwatched.push(a.id);
          return [];
        }
        return [() => checkApp(ctx, a, server, this.o)];
      }),
    ];
    // Apps not watched start afresh when they come back (checkApp's `forget`), all in one go.
    await forgetApps(ctx, unwatched).catch((e) => report.errors.push(toInfraktError(e).message));
    const worker = async () => {
      for (let w = work.shift(); w; w = work.shift()) {
        // A check that throws (e.g. the store is busy) is reported; it never stops the round.
        await w().catch((e) => report.errors.push(toInfraktError(e).message));
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, this.o.concurrency) }, worker));
    await pruneSamples(ctx, this.o.historyHours);
    return report;
  }
}

/** Drops health samples and metrics older than the history window. */
export async function pruneSamples(ctx: Pick<Ctx, 'store' | 'clock'>, hours: number): Promise<void> {
  const cutoff = new Date(ctx.clock.now().getTime() - hours * 3_600_000).toISOString();
  await ctx.store.db.deleteFrom('health_samples').where('ts', '<', cutoff).execute();
  await ctx.store.db.deleteFrom('server_metrics').where('ts', '<', cutoff).execute();
}
