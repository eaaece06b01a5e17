import type { MetricsSample } from '../api/types.js';

export interface MetricPoint {
  t: number;
  load: number | null;
  memPct: number | null;
  diskPct: number | null;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const pct = (used: unknown, total: unknown): number | null => {
  const u = num(used);
  const t = num(total);
  return u !== null && t !== null && t > 0 ? (u / t) * 100 : null;
};

/** Reads one sample, tolerating nested shapes (`{ cpu: { load1 }, memory: { used, total } }`). */
export function toPoint(s: MetricsSample, now = Date.now()): MetricPoint {
  const r = s as Record<string, Record<string, unknown> | unknown>;
  const o = (k: string) => (r[k] && typeof r[k] === 'object' ? (r[k] as Record<string, unknown>) : {});
  const cpu = o('cpu');
  const load = o('load');
  const mem = o('memory');
  const disk = o('disk');
  const t = typeof s.ts === 'string' && !Number.isNaN(Date.parse(s.ts)) ? Date.parse(s.ts) : now;
  return {
    t,
    load: num(s.load1) ?? num(cpu.load1) ?? num(load.load1) ?? num(load['1m']),
    memPct: num(r.memPct) ?? pct(s.memUsed, s.memTotal) ?? num(mem.percent) ?? pct(mem.used, mem.total),
    diskPct: num(r.diskPct) ?? pct(s.diskUsed, s.diskTotal) ?? num(disk.percent) ?? pct(disk.used, disk.total),
  };
}

/** Keeps the last `max` points, one per distinct timestamp. */
export function pushPoint(series: MetricPoint[], p: MetricPoint, max = 60): MetricPoint[] {
  const last = series[series.length - 1];
  const next = last && last.t === p.t ? [...series.slice(0, -1), p] : [...series, p];
  return next.length > max ? next.slice(-max) : next;
}
