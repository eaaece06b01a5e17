// Fast commands whose exit status arrives in the same read as the channel confirmation must
// still report their exit code (ssh2 emits 'exit' before a listener attached after the open).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/adapters/connect.js';
import { exec } from '../../src/core/cmd/index.js';
import type { Executor } from '../../src/core/executor.js';
import { type SshdHost, sshdAvailable, startSshd, stopAllSshd } from '../harness/sshd.js';

describe.skipIf(!sshdAvailable())('ssh exit status of fast commands', () => {
  let h: SshdHost;
  let ex: Executor;

  beforeAll(async () => {
    h = await startSshd();
    ex = await connect({
      name: 'race-host',
      host: h.host,
      port: h.port,
      user: h.user,
      key_path: h.keyPath,
      host_key: h.hostKey,
      host_key_fingerprint: h.fingerprint,
    });
  });
  afterAll(async () => {
    await ex?.close();
    await stopAllSshd();
  });

  it('reports every exit code of 320 immediate commands on one connection', async () => {
    const codes: number[] = [];
    for (let batch = 0; batch < 40; batch++) {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => ex.run(exec('sh', '-c', `exit ${(batch + i) % 3}`))),
      );
      codes.push(...results.map((r) => r.exitCode));
    }
    expect(codes).toHaveLength(320);
    expect(codes).toEqual(Array.from({ length: 320 }, (_, n) => (Math.floor(n / 8) + (n % 8)) % 3));
  });
});
