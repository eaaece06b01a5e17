// The server-side lock over real sshd: two control machines (two connections with different holders)
// contend for one app lock; the CLI lists and breaks it with --server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type ServerTarget } from '../../src/adapters/connect.js';
import type { Executor } from '../../src/core/executor.js';
import { acquireRemoteLock, readRemoteLock, releaseRemoteLock } from '../../src/services/shared/remote-lock.js';
import { cleanupHomes, makeInfraktHome, registerHarnessServer, runCli } from '../harness/cli.js';
import { type SshdHost, sshdAvailable, startSshd, stopAllSshd } from '../harness/sshd.js';

const available = sshdAvailable();

const target = (h: SshdHost): ServerTarget => ({
  name: 'web-1',
  host: h.host,
  port: h.port,
  user: h.user,
  key_path: h.keyPath,
  host_key: h.hostKey,
  host_key_fingerprint: h.fingerprint,
});

describe.skipIf(!available)('remote lock on real sshd', () => {
  let h: SshdHost;
  let laptop: Executor;
  let ci: Executor;

  beforeAll(async () => {
    h = await startSshd();
    laptop = await connect(target(h));
    ci = await connect(target(h));
  });
  afterAll(async () => {
    await laptop?.close();
    await ci?.close();
    await stopAllSshd();
    cleanupHomes();
  });

  it('two control machines: exactly one gets the lock, the other LOCKED naming the holder', async () => {
    for (let round = 0; round < 5; round++) {
      const results = await Promise.allSettled([
        acquireRemoteLock(laptop, {
          root: h.root,
          name: 'app-api',
          holder: 'alice@laptop (cli)',
          jobId: 'j_a',
          server: 'web-1',
        }),
        acquireRemoteLock(ci, {
          root: h.root,
          name: 'app-api',
          holder: 'ci@runner (cli)',
          jobId: 'j_b',
          server: 'web-1',
        }),
      ]);
      const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason] : []));
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      const w = won[0]!;
      expect(lost[0]).toMatchObject({
        code: 'LOCKED',
        details: { holder: w.owner.holder, holderJobId: w.owner.jobId },
      });
      expect(lost[0].message).toContain(
        `app-api on ${laptop.target} is locked by ${w.owner.holder} since ${w.owner.since}`,
      );
      expect(await readRemoteLock(laptop, { root: h.root, name: 'app-api' })).toEqual(w.owner);
      expect(await releaseRemoteLock(w.owner.holder.startsWith('alice') ? laptop : ci, w)).toEqual({ released: true });
      expect(await readRemoteLock(ci, { root: h.root, name: 'app-api' })).toBeNull();
    }
  });

  it('infrakt lock list/break --server', async () => {
    const home = makeInfraktHome();
    await registerHarnessServer(home, h, 'web-1');
    const mine = await acquireRemoteLock(laptop, {
      root: h.root,
      name: 'app-api',
      holder: 'alice@laptop (cli)',
      jobId: 'j_a',
    });
    const list = await runCli(['lock', 'list', '--server', 'web-1'], { home });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/app-api\s+alice@laptop \(cli\)\s+\S+\s+j_a/);
    const json = JSON.parse((await runCli(['lock', 'list', '--server', 'web-1', '--json'], { home })).stdout);
    expect(json).toEqual([{ name: 'app-api', owner: mine.owner }]);
    const br = await runCli(['lock', 'break', 'app-api', '--server', 'web-1'], { home });
    expect(br.code).toBe(0);
    expect(br.stdout).toContain('broke lock app-api on web-1 (held by alice@laptop (cli)');
    expect(await releaseRemoteLock(laptop, mine)).toEqual({ released: false });
    expect((await runCli(['lock', 'list', '--server', 'web-1'], { home })).stdout).toBe('no locks held on web-1\n');
    expect((await runCli(['lock', 'break', 'app-api', '--server', 'web-1'], { home })).code).toBe(3);
  });
});
