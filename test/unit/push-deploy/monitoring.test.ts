// Monitoring: flap damping, threshold hysteresis, the one-round-trip server sample, image revisions, and the
// notification retry schedule.
import { describe, expect, it } from 'vitest';
import { render } from '../../../src/core/cmd/index.js';
import { isRevision, parseImageRevision, pullAndInspect } from '../../../src/core/commands/image-watch.js';
import { cpuPercent, parseCpuLine, parseServerSample } from '../../../src/core/commands/server-sample.js';
import { nextState, thresholdAlarm } from '../../../src/core/plans/flap.js';
import { retryDelay } from '../../../src/services/notifications/dispatcher.js';

const d = { downAfter: 2, upAfter: 3 };

describe('flap damping', () => {
  it('one failed check raises nothing; downAfter in a row goes down; upAfter good ones come back up', () => {
    let s = nextState('unknown', 0, true, d);
    expect(s).toEqual({ state: 'up', streak: 0, event: null });
    s = nextState(s.state, s.streak, false, d);
    expect(s).toEqual({ state: 'up', streak: 1, event: null });
    s = nextState(s.state, s.streak, true, d); // a blip: the streak resets
    expect(s).toEqual({ state: 'up', streak: 0, event: null });
    s = nextState(s.state, s.streak, false, d);
    s = nextState(s.state, s.streak, false, d);
    expect(s).toEqual({ state: 'down', streak: 0, event: 'down' });
    for (const _ of [1, 2]) {
      s = nextState(s.state, s.streak, true, d);
      expect(s.event).toBeNull();
    }
    s = nextState(s.state, s.streak, true, d);
    expect(s).toEqual({ state: 'up', streak: 0, event: 'up' });
  });

  it('a new target that never answered is announced down only after downAfter failures', () => {
    const a = nextState('unknown', 0, false, d);
    expect(a).toEqual({ state: 'unknown', streak: 1, event: null });
    expect(nextState(a.state, a.streak, false, d)).toEqual({ state: 'down', streak: 0, event: 'down' });
  });

  it('threshold alarms: raised at the limit, cleared only 5 points below', () => {
    expect(thresholdAlarm(false, 89.9, 90)).toEqual({ raised: false, event: null });
    expect(thresholdAlarm(false, 90, 90)).toEqual({ raised: true, event: 'raised' });
    expect(thresholdAlarm(true, 86, 90)).toEqual({ raised: true, event: null });
    expect(thresholdAlarm(true, 84.9, 90)).toEqual({ raised: false, event: 'cleared' });
    expect(thresholdAlarm(true, null, 90)).toEqual({ raised: true, event: null });
  });
});

describe('server sample', () => {
  it('parses status, CPU counters and picks the fullest filesystem', () => {
    const out = [
      '@@hostname',
      'web-1',
      '@@loadavg',
      '0.50 0.25 0.10 1/123 4567',
      '@@meminfo',
      'MemTotal:        2000000 kB',
      'MemAvailable:     500000 kB',
      '@@df',
      'Filesystem     1024-blocks    Used Available Capacity Mounted on',
      '/dev/vda1        10000000 4000000   6000000      40% /',
      '/dev/vdb1         1000000  950000     50000      95% /opt/infrakt',
      '@@cpustat',
      'cpu  100 0 50 800 50 0 0 0 0 0',
      '@@backups',
      '',
    ].join('\n');
    const s = parseServerSample(out, 0);
    expect(s.cpu).toEqual({ busy: 150, total: 1000 });
    expect(s.load1).toBe(0.5);
    expect(s.diskPercent).toBe(95);
    expect(s.memTotal).toBe(2000000 * 1024);
    expect(s.memUsed).toBe(1500000 * 1024);
  });

  it('CPU % is the busy share between two samples; none without a previous one or after a reset', () => {
    expect(cpuPercent(null, { busy: 10, total: 100 })).toBeNull();
    expect(cpuPercent({ busy: 100, total: 1000 }, { busy: 150, total: 1100 })).toBe(50);
    expect(cpuPercent({ busy: 100, total: 1000 }, { busy: 50, total: 500 })).toBeNull();
    expect(parseCpuLine('intr 1 2 3')).toBeNull();
  });
});

describe('image revisions', () => {
  const id = `sha256:${'1'.repeat(64)}`;
  it('pulls then inspects, quoted', () => {
    expect(render(pullAndInspect('ghcr.io/acme/web:latest'))).toBe(
      "docker pull --quiet ghcr.io/acme/web:latest && docker image inspect --format '{{.Id}}|{{range .RepoDigests}}{{.}} {{end}}' ghcr.io/acme/web:latest",
    );
  });
  it('reads the id and digests from the last matching line; a release ref matches either', () => {
    const r = parseImageRevision(`pulling...\n${id}|ghcr.io/acme/web@sha256:${'2'.repeat(64)} \n`);
    expect(r).toEqual({ id, digests: [`ghcr.io/acme/web@sha256:${'2'.repeat(64)}`] });
    expect(isRevision(r!, id)).toBe(true);
    expect(isRevision(r!, `ghcr.io/acme/web@sha256:${'2'.repeat(64)}`)).toBe(true);
    expect(isRevision(r!, null)).toBe(false);
    expect(parseImageRevision('Error: no such image')).toBeNull();
  });
});

describe('notification retries', () => {
  it('doubles from the base delay and stops at the cap', () => {
    expect([1, 2, 3, 4].map((a) => retryDelay(a, 10_000, 60_000))).toEqual([10_000, 20_000, 40_000, 60_000]);
  });
});
