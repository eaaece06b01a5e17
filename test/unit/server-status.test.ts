// `server status`: the one-round-trip command and its parser (exact values from a recorded output, and the
// command run through a real /bin/sh on this machine).
import { execFileSync } from 'node:child_process';
import { hostname, totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import { render } from '../../src/core/cmd/index.js';
import { parseServerStatus, statusCommand } from '../../src/core/commands/server-status.js';

describe('status parsing', () => {
  const out = [
    'rc noise',
    '@@hostname',
    'web-1',
    '@@kernel',
    'Linux 6.1.0 x86_64',
    '@@cpus',
    '4',
    '@@uptime',
    '12345.67 890.12',
    '@@loadavg',
    '0.50 0.25 0.10 1/123 4567',
    '@@meminfo',
    'MemTotal:        2048000 kB',
    'MemFree:          100000 kB',
    'MemAvailable:    1024000 kB',
    'SwapTotal:             0 kB',
    'SwapFree:              0 kB',
    '@@df',
    'Filesystem     1024-blocks    Used Available Capacity Mounted on',
    '/dev/vda1        10000000 4000000   6000000      40% /',
    '/dev/vda1        10000000 4000000   6000000      40% /',
    '@@docker',
    '{"ID":"abcdef0123456789","Names":"web","Image":"nginx:alpine","State":"running","Status":"Up 2 hours","Ports":"80/tcp"}',
  ].join('\n');

  it('parses every section into numbers', () => {
    const s = parseServerStatus('web-1', 'root@h:22', out);
    expect(s).toMatchObject({
      hostname: 'web-1',
      kernel: 'Linux 6.1.0 x86_64',
      cpus: 4,
      uptimeSeconds: 12345,
      load: { m1: 0.5, m5: 0.25, m15: 0.1 },
      memory: { totalBytes: 2048000 * 1024, availableBytes: 1024000 * 1024, usedBytes: 1024000 * 1024 },
    });
    expect(s.disks).toEqual([
      {
        filesystem: '/dev/vda1',
        sizeBytes: 10240000000,
        usedBytes: 4096000000,
        availableBytes: 6144000000,
        usePercent: 40,
        mount: '/',
      },
    ]);
    expect(s.containers).toEqual([
      {
        id: 'abcdef012345',
        name: 'web',
        image: 'nginx:alpine',
        state: 'running',
        status: 'Up 2 hours',
        ports: '80/tcp',
      },
    ]);
  });

  it('docker missing → containers null with a note', () => {
    const s = parseServerStatus('x', 't', '@@docker\n@@docker-missing\n');
    expect(s.containers).toBeNull();
    expect(s.notes[0]).toMatch(/not installed/);
    expect(parseServerStatus('x', 't', '@@docker\n@@docker-failed\n').notes[0]).toMatch(/failed/);
  });
});

describe('status command', () => {
  it('prints every section in one command; the root is quoted', () => {
    const sh = render(statusCommand("/srv/it's"));
    for (const s of ['hostname', 'kernel', 'cpus', 'uptime', 'loadavg', 'meminfo', 'df', 'docker'])
      expect(sh).toContain(`echo @@${s}`);
    expect(sh).toContain("df -Pk / '/srv/it'\\''s'");
  });

  it("run through a real /bin/sh here, parses into this machine's facts", () => {
    const out = execFileSync('/bin/sh', ['-c', render(statusCommand('/'))], { encoding: 'utf8' });
    const s = parseServerStatus('here', 'local', out);
    expect(s.hostname).toBe(hostname());
    expect(s.memory?.totalBytes).toBe(totalmem());
    expect(s.cpus).toBeGreaterThanOrEqual(1);
    expect(s.uptimeSeconds).toBeGreaterThan(0);
    expect(s.disks.map((d) => d.mount)).toContain('/');
  });
});
