// `server exec` across 20 real sshd hosts through the built CLI, and "one connection per server per
// operation" counted in each sshd's VERBOSE log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupHomes, makeInfraktHome, registerHarnessServer, runCli } from '../harness/cli.js';
import { type SshdHost, sshdAvailable, startSshdFleet, stopAllSshd } from '../harness/sshd.js';

const available = sshdAvailable();
const N = 20;

describe.skipIf(!available)(`server exec on ${N} hosts`, () => {
  let hosts: SshdHost[];
  let home: string;
  const names = Array.from({ length: N }, (_, i) => `host-${String(i + 1).padStart(2, '0')}`);

  beforeAll(async () => {
    hosts = await startSshdFleet(N);
    home = makeInfraktHome();
    // Sequential: each `server add` is its own process writing the same database.
    for (const [i, h] of hosts.entries()) await registerHarnessServer(home, h, names[i] as string);
  });
  afterAll(async () => {
    await stopAllSshd();
    cleanupHomes();
  });

  it('runs everywhere with a per-host prefix, one connection per host', async () => {
    const before = hosts.map((h) => h.connectionCount());
    const r = await runCli(['server', 'exec', '--all', '--', 'echo hello from $(hostname); echo done >&2'], { home });
    expect(r.code).toBe(0);
    for (const n of names) {
      expect(r.stdout).toMatch(new RegExp(`^${n} +\\| hello from `, 'm'));
      expect(r.stderr).toMatch(new RegExp(`^${n} +\\| done$`, 'm'));
    }
    expect(r.stderr).toContain(`${N}/${N} servers ok`);
    expect(hosts.map((h, i) => h.connectionCount() - (before[i] ?? 0))).toEqual(hosts.map(() => 1));
  });

  it('reports per-host exit codes and fails when any host fails (--json)', async () => {
    // Each host exits with the parity of its sshd port (last field of SSH_CONNECTION).
    const r = await runCli(
      ['server', 'exec', '--all', '--json', '--concurrency', '5', '--', 'set -- $SSH_CONNECTION; exit $(($4 % 2))'],
      { home },
    );
    const results = JSON.parse(r.stdout) as { server: string; exitCode: number; error: unknown }[];
    expect(results).toHaveLength(N);
    const expected = hosts.map((h) => h.port % 2);
    expect(results.map((x) => x.exitCode)).toEqual(expected);
    expect(r.code).toBe(expected.some((c) => c !== 0) ? 13 : 0);
  });

  it('a host that is down is reported, the others still run', async () => {
    await hosts[0]?.stop();
    const r = await runCli(['server', 'exec', '--server', `${names[0]},${names[1]}`, '--', 'true'], { home });
    expect(r.code).toBe(13);
    expect(r.stderr).toMatch(new RegExp(`${names[0]}: SSH_UNREACHABLE`));
    expect(r.stderr).toContain('1/2 servers ok');
  });
});
