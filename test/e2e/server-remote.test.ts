// server add / test / trust / status / ssh through the built CLI against real sshd.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupHomes, makeInfraktHome, runCli } from '../harness/cli.js';
import { freePort, getClientKeys, type SshdHost, sshdAvailable, startSshd, stopAllSshd } from '../harness/sshd.js';

const available = sshdAvailable();

const addArgs = (h: SshdHost, name: string, port = h.port) => [
  'server',
  'add',
  '--name',
  name,
  '--host',
  h.host,
  '--port',
  String(port),
  '--key',
  h.keyPath,
  '--root',
  h.root,
];

describe.skipIf(!available)('server commands over real sshd (built CLI)', () => {
  let h: SshdHost;
  let home: string;
  beforeAll(async () => {
    h = await startSshd();
    home = makeInfraktHome();
  });
  afterAll(async () => {
    await stopAllSshd();
    cleanupHomes();
  });
  const cli = (args: string[]) => runCli(args, { home });

  it('server add connects, shows and pins the fingerprint, writes known_hosts', async () => {
    const r = await cli(addArgs(h, 'web-1'));
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('registered server web-1');
    expect(r.stdout).toContain(h.fingerprint);
    const show = JSON.parse((await cli(['server', 'show', 'web-1', '--json'])).stdout);
    expect(show).toMatchObject({ status: 'active', hostKeyFingerprint: h.fingerprint, lastError: null });
    const known = readFileSync(join(home, 'known_hosts'), 'utf8');
    expect(known).toContain(`[127.0.0.1]:${h.port} ${h.hostKey}`);
  });

  it('server add registers an unreachable server with its status and says so', async () => {
    const port = await freePort();
    const r = await cli(addArgs(h, 'down-1', port));
    expect(r.code).toBe(10);
    expect(r.stdout).toContain('registered server down-1');
    expect(r.stderr).toMatch(/unreachable/);
    expect(r.stderr).toContain('infrakt server test down-1');
    const show = JSON.parse((await cli(['server', 'show', 'down-1', '--json'])).stdout);
    expect(show.status).toBe('unreachable');
    expect(show.lastError).toMatch(/refused/);
    expect(show.lastCheckedAt).toBeTruthy();
  });

  it('server add --fingerprint refuses any other key and pins nothing', async () => {
    const wrong = `SHA256:${'A'.repeat(43)}`;
    const r = await cli([...addArgs(h, 'pinned-wrong'), '--fingerprint', wrong]);
    expect(r.code).toBe(12);
    expect(r.stderr).toContain(wrong);
    expect(r.stderr).toContain(h.fingerprint);
    const show = JSON.parse((await cli(['server', 'show', 'pinned-wrong', '--json'])).stdout);
    expect(show).toMatchObject({ status: 'host_key_mismatch', hostKeyFingerprint: wrong });
    const ok = await cli([...addArgs(h, 'pinned-right'), '--fingerprint', h.fingerprint, '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).probe).toMatchObject({ status: 'ok', pinned: true });
  });

  it('server add with a key the server does not accept → auth_failed', async () => {
    const r = await runCli([...addArgs(h, 'bad-key').slice(0, 8), '--key', getClientKeys().stranger], { home });
    expect(r.code).toBe(11);
    expect(r.stderr).toMatch(/authentication to bad-key .* failed/);
    const show = JSON.parse((await cli(['server', 'show', 'bad-key', '--json'])).stdout);
    expect(show.status).toBe('auth_failed');
  });

  it('server status: structured data in one round trip', async () => {
    const before = h.connectionCount();
    const r = await cli(['server', 'status', 'web-1', '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s.uptimeSeconds).toBeGreaterThan(0);
    expect(s.load).toMatchObject({ m1: expect.any(Number) });
    expect(s.memory.totalBytes).toBeGreaterThan(s.memory.availableBytes);
    expect(s.disks.length).toBeGreaterThan(0);
    expect(s.containers === null ? s.notes.length : s.containers.length).toBeGreaterThanOrEqual(0);
    if (s.containers === null) expect(s.notes.join(' ')).toMatch(/docker/);
    expect(h.connectionCount() - before).toBe(1);
    const human = await cli(['server', 'status', 'web-1']);
    expect(human.stdout).toMatch(/uptime +\S+/);
    expect(human.stdout).toMatch(/memory +[\d.]+G \/ [\d.]+G used/);
  });

  it('server ssh hands OpenSSH the pinned key (StrictHostKeyChecking=yes)', async () => {
    const r = await cli(['server', 'ssh', 'web-1', '--', 'echo', 'from-openssh']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('from-openssh');
  });

  it('after a reinstall: test reports the mismatch, ssh refuses, trust re-pins', async () => {
    const old = h.fingerprint;
    await h.restartWithNewHostKey();
    const t = await cli(['server', 'test', 'web-1']);
    expect(t.code).toBe(12);
    expect(t.stderr).toContain(old);
    expect(t.stderr).toContain(h.fingerprint);
    expect(t.stderr).toContain('infrakt server trust web-1');
    expect(JSON.parse((await cli(['server', 'show', 'web-1', '--json'])).stdout).status).toBe('host_key_mismatch');

    const ssh = await cli(['server', 'ssh', 'web-1', '--', 'echo', 'should-not-run']);
    expect(ssh.code).not.toBe(0);
    expect(ssh.stdout).not.toContain('should-not-run');
    // The fleet command names the host and how to accept its new key, too; nothing ran there.
    const fleet = await cli(['server', 'exec', '--server', 'web-1', '--', 'echo', 'should-not-run']);
    expect(fleet.code).toBe(12); // every host failed on its key: the exit code of a single-server command
    expect(fleet.stdout).not.toContain('should-not-run');
    expect(fleet.stderr).toContain('web-1: HOST_KEY_MISMATCH');
    expect(fleet.stderr).toContain('hint: if the server was really reinstalled');
    expect(fleet.stderr).toContain('infrakt server trust web-1');

    // Without a TTY, trust shows old and new and asks for --fingerprint/--yes.
    const ask = await cli(['server', 'trust', 'web-1']);
    expect(ask.code).toBe(7);
    expect(ask.stderr).toContain(old);
    expect(ask.stderr).toContain(h.fingerprint);
    const wrong = await cli(['server', 'trust', 'web-1', '--fingerprint', old]);
    expect(wrong.code).toBe(12);
    const yes = await cli(['server', 'trust', 'web-1', '--fingerprint', h.fingerprint, '--json']);
    expect(yes.code).toBe(0);
    expect(JSON.parse(yes.stdout)).toMatchObject({ previous: old, current: h.fingerprint, changed: true });

    const again = await cli(['server', 'test', 'web-1', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'ok', fingerprint: h.fingerprint });
    expect(JSON.parse((await cli(['server', 'show', 'web-1', '--json'])).stdout).status).toBe('active');
    const ssh2 = await cli(['server', 'ssh', 'web-1', '--', 'echo', 'ok-again']);
    expect(ssh2.stdout.trim()).toBe('ok-again');
  });
});
