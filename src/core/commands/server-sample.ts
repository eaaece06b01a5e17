import { type Cmd, exec, quietErr, seq } from '../cmd/index.js';
import { parseLastScheduledRuns, readLastScheduledRuns, type ScheduledStatus } from './db-backup.js';
import { parseServerStatus, statusCommand } from './server-status.js';

/**
 * Everything the monitor reads from a server in one round trip: the `server status` sections, the CPU
 * counters (turned into a percentage between two samples) and the last scheduled backup of each database.
 */
export function sampleCommand(root: string, backupDirs: readonly string[]): Cmd {
  return seq(
    statusCommand(root),
    exec('echo', '@@cpustat'),
    quietErr(exec('head', '-n', '1', '/proc/stat')),
    exec('echo', '@@backups'),
    ...(backupDirs.length ? [readLastScheduledRuns(backupDirs)] : []),
  );
}

export interface CpuTicks {
  busy: number;
  total: number;
}

export interface ServerSample {
  cpu: CpuTicks | null;
  load1: number | null;
  memUsed: number | null;
  memTotal: number | null;
  /** The fullest filesystem of `/` and the root directory. */
  diskUsed: number | null;
  diskTotal: number | null;
  diskPercent: number | null;
  /** Running containers. */
  containers: number | null;
  backups: ScheduledStatus[];
}

function after(out: string, marker: string, next?: string): string {
  const i = out.indexOf(`${marker}\n`);
  if (i < 0) return '';
  const rest = out.slice(i + marker.length + 1);
  const j = next ? rest.indexOf(`${next}\n`) : -1;
  return j < 0 ? rest : rest.slice(0, j);
}

/** `cpu  user nice system idle iowait irq softirq steal …` → busy and total ticks. */
export function parseCpuLine(line: string): CpuTicks | null {
  const f = line.trim().split(/\s+/);
  if (f[0] !== 'cpu') return null;
  const n = f.slice(1, 9).map(Number);
  if (n.length < 4 || n.some((x) => !Number.isFinite(x))) return null;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = n;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/** CPU use between two samples, in percent; null without a previous sample or when the counters reset. */
export function cpuPercent(prev: CpuTicks | null | undefined, cur: CpuTicks | null): number | null {
  if (!prev || !cur || cur.total <= prev.total || cur.busy < prev.busy) return null;
  return Math.round(((cur.busy - prev.busy) / (cur.total - prev.total)) * 1000) / 10;
}

export function parseServerSample(out: string, backupCount: number): ServerSample {
  const status = parseServerStatus('', '', out.slice(0, Math.max(0, out.indexOf('@@cpustat\n'))) || out);
  const fullest = [...status.disks].sort((a, b) => b.usePercent - a.usePercent)[0];
  return {
    cpu: parseCpuLine(after(out, '@@cpustat', '@@backups').split('\n')[0] ?? ''),
    load1: status.load?.m1 ?? null,
    memUsed: status.memory?.usedBytes ?? null,
    memTotal: status.memory?.totalBytes ?? null,
    diskUsed: fullest?.usedBytes ?? null,
    diskTotal: fullest?.sizeBytes ?? null,
    diskPercent: fullest?.usePercent ?? null,
    containers: status.containers ? status.containers.filter((c) => c.state === 'running').length : null,
    backups: backupCount ? parseLastScheduledRuns(after(out, '@@backups'), backupCount) : [],
  };
}
