import { describe, expect, it } from 'vitest';
import { mainDisk, pushPoint, toPoint } from './metrics.js';

const disk = (mount: string, usePercent: number) => ({
  mount,
  filesystem: 'x',
  sizeBytes: 100,
  usedBytes: usePercent,
  availableBytes: 100 - usePercent,
  usePercent,
});

describe('metrics', () => {
  it('reads load, memory and the root disk from a status report', () => {
    const p = toPoint(
      {
        load: { m1: 0.5, m5: 0.2, m15: 0.1 },
        memory: { totalBytes: 200, availableBytes: 150, usedBytes: 50, swapTotalBytes: 0, swapFreeBytes: 0 },
        disks: [disk('/data', 90), disk('/', 40)],
      },
      7,
    );
    expect(p).toEqual({ t: 7, load: 0.5, memPct: 25, diskPct: 40 });
  });

  it('uses the fullest disk without a root mount, and nulls for what is missing', () => {
    expect(mainDisk({ disks: [disk('/a', 10), disk('/b', 70)] })?.mount).toBe('/b');
    expect(toPoint({ load: null, memory: null, disks: [] }, 1)).toEqual({
      t: 1,
      load: null,
      memPct: null,
      diskPct: null,
    });
  });

  it('keeps a bounded series and replaces a repeated timestamp', () => {
    let s = pushPoint([], { t: 1, load: 1, memPct: null, diskPct: null }, 3);
    s = pushPoint(s, { t: 1, load: 2, memPct: null, diskPct: null }, 3);
    expect(s).toHaveLength(1);
    for (const t of [2, 3, 4]) s = pushPoint(s, { t, load: t, memPct: null, diskPct: null }, 3);
    expect(s.map((p) => p.t)).toEqual([2, 3, 4]);
  });
});
