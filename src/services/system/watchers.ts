import { ownerPrincipal } from '../../core/access.js';
import { toInfraktError } from '../../core/errors.js';
import { actingAs } from '../governance/acting-as.js';
import { Monitor, type MonitorOptions } from '../monitoring/monitor.js';
import { type DispatchOptions, deliverDue, pruneNotifications } from '../notifications/dispatcher.js';
import { pollDue } from '../polling/poller.js';
import type { Ctx } from '../shared/context.js';
import type { DeployQueue } from '../webhooks/deploy-queue.js';

export interface WatcherOptions {
  /** Label of this process in notification claims. */
  runner: string;
  /** How often due polls are looked for (each app has its own interval). Default 2 s. */
  pollTickMs?: number;
  /** One monitor round per interval; 0 turns monitoring off. Default 60 s. */
  monitorIntervalMs?: number;
  monitor: MonitorOptions;
  /** How often the notification outbox is looked at. Default 2 s. */
  notifyTickMs?: number;
  dispatch?: Omit<DispatchOptions, 'runner' | 'eventIds'>;
  /** Notification events kept this long (default 30 days). */
  notifyKeepMs?: number;
  log?: (line: string) => void;
}

export interface Watchers {
  /**
   * Nothing starts afterwards; resolves when the running rounds finished, or after `graceMs` (a monitor round
   * waiting on an unreachable server must not hold up a shutdown: its work is redone by the next start).
   */
  stop(graceMs?: number): Promise<void>;
  /** Runs one round of each loop now (tests, `serve` start-up). */
  readonly loops: readonly Loop[];
}

export interface Loop {
  readonly name: string;
  rounds: number;
  lastError: string | null;
}

/**
 * The long-running side of `infrakt serve`: the polling loop (deploys new commits / digests), the monitor
 * (health checks, metrics samples, down/up events) and the notification outbox (deliveries with retries).
 * Each loop waits its interval after a round ends, so a slow round never overlaps the next one; an error
 * is logged and the loop goes on.
 */
export function startWatchers(ctx: Ctx, queue: DeployQueue, o: WatcherOptions): Watchers {
  const log = o.log ?? (() => undefined);
  let stopped = false;
  const running = new Set<Promise<void>>();
  const timers = new Set<NodeJS.Timeout>();
  const loops: Loop[] = [];
  const every = (name: string, ms: number, fn: () => Promise<void>) => {
    const loop: Loop = { name, rounds: 0, lastError: null };
    loops.push(loop);
    const tick = () => {
      if (stopped) return;
      const p = fn()
        .then(() => {
          loop.lastError = null;
        })
        .catch((e) => {
          const msg = toInfraktError(e).message;
          // The same failure every round is logged once.
          if (msg !== loop.lastError) log(`${name}: ${msg}`);
          loop.lastError = msg;
        })
        .finally(() => {
          loop.rounds++;
          running.delete(p);
          if (stopped) return;
          const t = setTimeout(() => {
            timers.delete(t);
            tick();
          }, ms);
          timers.add(t);
        });
      running.add(p);
    };
    tick();
  };

  // Deploys the poller starts go through the approval policies and lifecycle like anyone's (requested by it).
  const poller = actingAs(ctx, ownerPrincipal('system', 'auto-deploy'), 'auto-deploy (poll)');
  every('polling', o.pollTickMs ?? 2000, async () => {
    const r = await pollDue(poller, queue);
    for (const id of r.started) log(`polling: a change started deploy job ${id}`);
  });
  const monitorMs = o.monitorIntervalMs ?? 60_000;
  if (monitorMs > 0) {
    const monitor = new Monitor(o.monitor);
    every('monitor', monitorMs, async () => {
      const r = await monitor.round(ctx);
      if (r.errors.length) throw new Error(r.errors.slice(0, 3).join('; '));
    });
  }
  let pruned = 0;
  every('notifications', o.notifyTickMs ?? 2000, async () => {
    await deliverDue(ctx, { ...o.dispatch, runner: o.runner });
    const now = ctx.clock.now().getTime();
    if (now - pruned > 3_600_000) {
      await pruneNotifications(ctx, o.notifyKeepMs ?? 30 * 86_400_000);
      pruned = now;
    }
  });

  return {
    loops,
    async stop(graceMs = 3000) {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([...running]),
        new Promise((r) => {
          grace = setTimeout(r, graceMs);
        }),
      ]);
      clearTimeout(grace);
    },
  };
}
