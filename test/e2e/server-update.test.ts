// `server update` through the built CLI against real sshd instances: the new settings are saved only once a
// connection with them verified the pinned host key — the same machine on another port is accepted, another
// machine (a different host key) is refused unless its fingerprint is given, and bad input or an unreachable
// address changes nothing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupHomes, makeInfraktHome, registerHarnessServer, runCli } from '../harness/cli.js';
import { freePort, type SshdHost, startSshd } from '../harness/sshd.js';

describe('server update (built CLI, real sshd)', () => {
  let home: string;
  let first: SshdHost;
  let sameMachine: SshdHost;
  let otherMachine: SshdHost;
  const name = `ikt-test-${Math.random().toString(36).slice(2, 8)}`;
  const cli = (args: string[]) => runCli(args, { home });
  const shown = async () => JSON.parse((await cli(['server', 'show', name, '--json'])).stdout);

  beforeAll(async () => {
    home = makeInfraktHome();
    first = await startSshd();
    await registerHarnessServer(home, first, name);
    // The same machine reached on another port: same host key.
    sameMachine = await startSshd({ hostKeyPrivate: readFileSync(join(first.dir, 'host_key'), 'utf8') });
    otherMachine = await startSshd();
  });

  afterAll(async () => {
    await Promise.all([first?.stop(), sameMachine?.stop(), otherMachine?.stop()]);
    cleanupHomes();
  });

  it('refuses bad input and an unreachable address, changing nothing', async () => {
    const before = await shown();
    const closed = await freePort();
    for (const [args, code] of [
      [['--port', '0'], 2],
      [['--port', 'x'], 2],
      [['--host', 'a b'], 2],
      [['--user', '-oProxyCommand=x'], 2],
      [['--root', 'relative'], 2],
      [[], 2],
      [['--port', String(closed)], null],
    ] as const) {
      const r = await cli(['server', 'update', name, ...args]);
      if (code === null) expect(r.code, r.stderr).not.toBe(0);
      else expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      expect(r.stderr).toMatch(/error: /);
    }
    expect(await shown()).toEqual(before);
  });

  it('accepts the same machine on a new port (host key verified) and works with it', async () => {
    expect(sameMachine.fingerprint).toBe(first.fingerprint);
    expect((await shown()).hostKeyFingerprint).toBe(first.fingerprint);
    const r = await cli(['server', 'update', name, '--port', String(sameMachine.port)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`connection verified, ${first.fingerprint}`);
    expect((await shown()).port).toBe(sameMachine.port);
    const before = sameMachine.connectionCount();
    const t = await cli(['server', 'test', name]);
    expect(t.code, t.stderr).toBe(0);
    expect(sameMachine.connectionCount()).toBeGreaterThan(before);
  });

  it('refuses another machine with a different host key unless its fingerprint is given', async () => {
    const r = await cli(['server', 'update', name, '--port', String(otherMachine.port)]);
    expect(r.code).toBe(12);
    expect(r.stderr).toContain('nothing was changed');
    expect(r.stderr).toContain('--fingerprint');
    expect((await shown()).port).toBe(sameMachine.port);

    const ok = await cli([
      'server',
      'update',
      name,
      '--port',
      String(otherMachine.port),
      '--fingerprint',
      otherMachine.fingerprint,
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    const after = await shown();
    expect(after.port).toBe(otherMachine.port);
    expect(after.hostKeyFingerprint).toBe(otherMachine.fingerprint);
    expect((await cli(['server', 'test', name])).code).toBe(0);
  });
});
