// The swarm firewall script run by a real /bin/sh against a stand-in `ufw` that records its arguments.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { render } from '../../../src/core/cmd/index.js';
import { swarmPeers } from '../../../src/core/commands/ufw.js';
import { swarmFirewall } from '../../../src/services/clusters/firewall.js';
import { RecordingExecutor } from '../../harness/recording-executor.js';

const dir = mkdtempSync(join(tmpdir(), 'ikt-ufw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(
  join(dir, 'ufw'),
  `#!/bin/sh\nif [ "$1" = status ]; then echo "Status: $UFW_STATE"; exit 0; fi\necho "$*" >> ${dir}/calls\n`,
  { mode: 0o755 },
);

function runScript(state: 'active' | 'inactive', verb: 'allow' | 'delete', peers: string[]) {
  rmSync(join(dir, 'calls'), { force: true });
  const out = execFileSync('/bin/sh', ['-c', render(swarmPeers(verb, peers))], {
    env: { PATH: `${dir}:/usr/bin:/bin`, UFW_STATE: state },
    encoding: 'utf8',
  });
  let calls: string[] = [];
  try {
    calls = readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n');
  } catch {
    // no call
  }
  return { out: out.trim(), calls };
}

describe('swarm ports in ufw', () => {
  it('opens each swarm port to each peer address only', () => {
    const r = runScript('active', 'allow', ['10.0.0.2', '10.0.0.3']);
    expect(r.out).toBe('ufw: 8');
    expect(r.calls).toEqual([
      'allow proto tcp from 10.0.0.2 to any port 2377',
      'allow proto tcp from 10.0.0.2 to any port 7946',
      'allow proto udp from 10.0.0.2 to any port 7946',
      'allow proto udp from 10.0.0.2 to any port 4789',
      'allow proto tcp from 10.0.0.3 to any port 2377',
      'allow proto tcp from 10.0.0.3 to any port 7946',
      'allow proto udp from 10.0.0.3 to any port 7946',
      'allow proto udp from 10.0.0.3 to any port 4789',
    ]);
  });

  it('closes them for a removed peer', () => {
    const r = runScript('active', 'delete', ['10.0.0.3']);
    expect(r.calls[0]).toBe('delete allow proto tcp from 10.0.0.3 to any port 2377');
    expect(r.calls).toHaveLength(4);
  });

  it('leaves a server without an active ufw alone', () => {
    expect(runScript('inactive', 'allow', ['10.0.0.2'])).toEqual({ out: 'ufw: inactive', calls: [] });
  });

  it('refuses anything but IP addresses before running', async () => {
    const ex = new RecordingExecutor();
    await expect(swarmFirewall(ex, 'allow', ['10.0.0.2; touch /tmp/x'])).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(ex.commands).toEqual([]);
  });
});
