import type { ServerStatusReport } from '../api/types.js';

export interface MetricPoint {
  t: number;
  load: number | null;
  memPct: number | null;
  diskPct: number | null;
}

/** The root filesystem if reported, else the fullest disk (the one that will fill first). */
export function mainDisk(s: Pick<ServerStatusReport, 'disks'>): ServerStatusReport['disks'][number] | null {
  const root = s.disks.find((d) => d.mount === '/');
  if (root) return root;
  return s.disks.reduce<ServerStatusReport['disks'][number] | null>(
    (best, d) => (best === null || d.usePercent > best.usePercent ? d : best),
    null,
  );
}

export function toPoint(s: Pick<ServerStatusReport, 'load' | 'memory' | 'disks'>, t: number): MetricPoint {
  const mem = s.memory;
  return {
    t,
    load: s.load ? s.load.m1 : null,
    memPct: mem && mem.totalBytes > 0 ? (mem.usedBytes / mem.totalBytes) * 100 : null,
    diskPct: mainDisk(s)?.usePercent ?? null,
  };
}

/** Keeps the last `max` points, one per distinct timestamp. */
export function pushPoint(series: MetricPoint[], p: MetricPoint, max = 60): MetricPoint[] {
  const last = series[series.length - 1];
  const next = last && last.t === p.t ? [...series.slice(0, -1), p] : [...series, p];
  return next.length > max ? next.slice(-max) : next;
}
