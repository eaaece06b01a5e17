import type { Command } from 'commander';
import { appHealth, monitorOverview, serverMetrics } from '../../services/monitoring/history.js';
import { withCtx } from '../context.js';
import { intOption } from '../options.js';
import { c, dash, printJson, printTable, status } from '../output.js';

const when = (iso: string | null) => (iso ? iso.replace('T', ' ').slice(0, 19) : '-');
const pct = (v: number | null) => (v === null ? '-' : `${v}%`);

/** `monitor status|app|server`: what the monitor of `infrakt serve` recorded (services/monitoring). */
export function registerMonitorCommands(monitor: Command): void {
  monitor
    .command('status')
    .description('every monitored app and server: up/down, since when, uptime (checked by infrakt serve)')
    .option('--hours <n>', 'uptime window in hours (default 24)', intOption)
    .option('--json', 'print as JSON')
    .action(async (o) => {
      await withCtx(async (ctx) => {
        const rows = await monitorOverview(ctx, { hours: o.hours });
        if (o.json) return printJson(rows);
        printTable(
          ['KIND', 'NAME', 'SERVER', 'STATE', 'SINCE', 'CHECKED', 'UPTIME', 'LAST ERROR'],
          rows.map((r) => [
            r.kind,
            r.name,
            r.server,
            status(r.state),
            when(r.since),
            when(r.checkedAt),
            pct(r.uptimePercent),
            dash(r.lastError),
          ]),
          'nothing monitored yet: infrakt serve checks servers and deployed apps with a domain',
        );
      });
    });

  monitor
    .command('app <app>')
    .description("an app's health history: state, uptime, response times")
    .option('--hours <n>', 'window in hours (default 24)', intOption)
    .option('--server <server>', 'server of the app')
    .option('--json', 'print as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const h = await appHealth(ctx, name, { server: o.server, hours: o.hours });
        if (o.json) return printJson(h);
        const out = (s: string) => process.stdout.write(`${s}\n`);
        out(`${c.bold(h.app)} on ${h.server}: ${status(h.state)}${h.since ? ` since ${when(h.since)}` : ''}`);
        out(`  checks     ${h.watched ? (h.url ?? '-') : 'not watched (no domain, not deployed, or stopped)'}`);
        out(`  uptime     ${pct(h.uptimePercent)} over ${h.windowHours}h (${h.samples.length} checks)`);
        out(`  response   ${h.avgResponseMs === null ? '-' : `${h.avgResponseMs} ms average`}`);
        if (h.lastError) out(`  last error ${h.lastError}`);
      });
    });

  monitor
    .command('server <server>')
    .description("a server's sampled metrics history (CPU, memory, disk, containers)")
    .option('--hours <n>', 'window in hours (default 24)', intOption)
    .option('--json', 'print as JSON')
    .action(async (name: string, o) => {
      await withCtx(async (ctx) => {
        const m = await serverMetrics(ctx, name, { hours: o.hours });
        if (o.json) return printJson(m);
        process.stdout.write(
          `${c.bold(m.server)}: ${status(m.state)}${m.since ? ` since ${when(m.since)}` : ''}, reachable ${pct(m.uptimePercent)} over ${m.windowHours}h` +
            `${m.alarms.disk ? ', DISK ALARM' : ''}${m.alarms.memory ? ', MEMORY ALARM' : ''}\n`,
        );
        printTable(
          ['TIME', 'CPU', 'LOAD', 'MEMORY', 'DISK', 'CONTAINERS'],
          m.samples
            .slice(-20)
            .map((s) => [
              when(s.ts),
              pct(s.cpuPercent),
              dash(s.load1),
              pct(s.memPercent),
              pct(s.diskPercent),
              dash(s.containers),
            ]),
          'no samples yet: infrakt serve samples each server every monitor interval',
        );
      });
    });
}
