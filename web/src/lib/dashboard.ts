import type { DashboardView } from '../api/types.js';

export interface Tally {
  total: number;
  byStatus: Record<string, number>;
}

/** The dashboard's counts may be a number or `{ total, byStatus }`; treat both the same. */
export function tally(v: DashboardView[keyof DashboardView]): Tally {
  if (typeof v === 'number') return { total: v, byStatus: {} };
  if (v && typeof v === 'object' && 'total' in v && typeof (v as { total: unknown }).total === 'number') {
    const o = v as { total: number; byStatus?: Record<string, number> };
    return { total: o.total, byStatus: o.byStatus ?? {} };
  }
  return { total: 0, byStatus: {} };
}
