// Connecting over real sshd: key types, auth failures, unreachable hosts, pinned host keys.
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type ServerTarget } from '../../src/adapters/connect.js';
import { preconnect } from '../../src/adapters/ssh/preconnect.js';
import { exec } from '../../src/core/cmd/index.js';
import { InfraktError } from '../../src/core/errors.js';
import {
  freePort,
  getClientKeys,
  type SshdHost,
  sshdAvailable,
  startSshd,
  stopAllSshd,
  waitFor,
} from '../harness/sshd.js';

const available = sshdAvailable();

const target = (h: SshdHost, extra: Partial<ServerTarget> = {}): ServerTarget => ({
  name: 'web-1',
  host: h.host,
  port: h.port,
  user: h.user,
  key_path: h.keyPath,
  host_key: h.hostKey,
  host_key_fingerprint: h.fingerprint,
  ...extra,
});

async function failure(p: Promise<unknown>): Promise<InfraktError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof InfraktError) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

const noAgent = { SSH_AUTH_SOCK: '' } as NodeJS.ProcessEnv;

describe.skipIf(!available)('connect() on real sshd', () => {
  let h: SshdHost;
  beforeAll(async () => {
    h = await startSshd();
  });
  afterAll(stopAllSshd);

  it.each(['ed25519', 'rsa', 'ecdsa'] as const)('logs in with an %s key', async (type) => {
    const ex = await connect(target(h, { key_path: getClientKeys()[type] }), { env: noAgent });
    const r = await ex.run(exec('id', '-un'));
    await ex.close();
    expect(r.stdout.trim()).toBe('root');
  });

  it('a passphrase-protected key: a clear SSH_AUTH error, or INFRAKT_SSH_PASSPHRASE unlocks it', async () => {
    const keys = getClientKeys();
    const err = await failure(connect(target(h, { key_path: keys.encrypted }), { env: noAgent }));
    expect(err.code).toBe('SSH_AUTH');
    expect(err.message).toMatch(/passphrase-protected/);
    expect(err.hint).toMatch(/ssh-add|INFRAKT_SSH_PASSPHRASE/);
    const ex = await connect(target(h, { key_path: keys.encrypted }), {
      env: { ...noAgent, INFRAKT_SSH_PASSPHRASE: keys.passphrase },
    });
    expect((await ex.run(exec('true'))).exitCode).toBe(0);
    await ex.close();
    const wrong = await failure(
      connect(target(h, { key_path: keys.encrypted }), { env: { ...noAgent, INFRAKT_SSH_PASSPHRASE: 'nope' } }),
    );
    expect(wrong.code).toBe('SSH_AUTH');
  });

  it('authenticates through ssh-agent (SSH_AUTH_SOCK), also for a passphrase-protected key file', async () => {
    const keys = getClientKeys();
    const sock = join(keys.dir, `agent-${process.pid}.sock`);
    const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
    try {
      await waitFor('ssh-agent socket', () => existsSync(sock));
      execFileSync('ssh-add', ['-q', keys.ed25519], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      const env = { SSH_AUTH_SOCK: sock } as NodeJS.ProcessEnv;
      const viaAgent = await connect(target(h, { key_path: null }), { env });
      expect((await viaAgent.run(exec('true'))).exitCode).toBe(0);
      await viaAgent.close();
      // The encrypted key file cannot be read without a passphrase: the agent signs instead.
      const encrypted = await connect(target(h, { key_path: keys.encrypted }), { env });
      await encrypted.close();
    } finally {
      agent.kill('SIGTERM');
    }
  });

  it('a key the server does not know → SSH_AUTH', async () => {
    const err = await failure(connect(target(h, { key_path: getClientKeys().stranger }), { env: noAgent }));
    expect(err.code).toBe('SSH_AUTH');
    expect(err.message).toContain('web-1');
  });

  it('a missing key file → SSH_AUTH naming the path', async () => {
    const err = await failure(connect(target(h, { key_path: '/nonexistent/id_ed25519' }), { env: noAgent }));
    expect(err.code).toBe('SSH_AUTH');
    expect(err.message).toContain('/nonexistent/id_ed25519');
  });

  it('nothing listening → SSH_UNREACHABLE, fast', async () => {
    const port = await freePort();
    const started = Date.now();
    // Refused at once, not after the connect timeout: bounded by that timeout, not by this machine's speed.
    const err = await failure(connect(target(h, { port }), { env: noAgent, connectTimeoutMs: 60_000 }));
    expect(err.code).toBe('SSH_UNREACHABLE');
    expect(err.message).toMatch(/refused/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('a TCP connection opened early (as the CLI does while ssh2 loads) carries the session', async () => {
    const before = h.connectionCount();
    const ex = await connect(target(h), { env: noAgent, socket: preconnect(h.host, h.port) });
    expect((await ex.run(exec('echo', 'early'))).stdout).toBe('early\n');
    await ex.close();
    expect(h.connectionCount() - before).toBe(1);
    // Refused early (nothing listening): the same error as without it, at once.
    const port = await freePort();
    const early = preconnect(h.host, port);
    await waitFor('the refusal', () => early.error() !== null);
    const err = await failure(connect(target(h, { port }), { env: noAgent, socket: early }));
    expect(err.code).toBe('SSH_UNREACHABLE');
    expect(err.message).toMatch(/refused/);
    // Refused by infrakt before ssh2 (no pinned key): the early socket is closed, not leaked.
    const unused = preconnect(h.host, h.port);
    await failure(connect(target(h, { host_key: null, host_key_fingerprint: null }), { socket: unused }));
    expect(unused.socket.destroyed).toBe(true);
  });

  it('a port that accepts but never speaks SSH → SSH_UNREACHABLE after the connect timeout', async () => {
    const { createServer } = await import('node:net');
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as { port: number }).port;
    const started = Date.now();
    const err = await failure(connect(target(h, { port }), { env: noAgent, connectTimeoutMs: 1_000 }));
    silent.close();
    expect(err.code).toBe('SSH_UNREACHABLE');
    // Ended by the 1 s connect timeout given here (not the 10 s default), however slow the machine.
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(9_000);
  });

  it('refuses to connect without a pinned key (pinned policy), and tofu reports the key', async () => {
    const unpinned = target(h, { host_key: null, host_key_fingerprint: null });
    const err = await failure(connect(unpinned, { env: noAgent }));
    expect(err.code).toBe('STATE');
    expect(err.hint).toContain('infrakt server trust web-1');
    const ex = await connect(unpinned, { env: noAgent, hostKeyPolicy: 'tofu' });
    expect((ex as unknown as { hostKey: { fingerprint: string } }).hostKey.fingerprint).toBe(h.fingerprint);
    await ex.close();
    // A pin given only as a fingerprint (server add --fingerprint) is enforced too.
    const fpOnly = await connect(target(h, { host_key: null }), { env: noAgent });
    await fpOnly.close();
  });
});

describe.skipIf(!available)('a server with several host keys', () => {
  afterAll(stopAllSshd);

  it('presents the pinned type, not just its preferred one (no false mismatch)', async () => {
    const h = await startSshd();
    const ecKey = join(h.dir, 'ecdsa_host_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ecdsa', '-N', '', '-f', ecKey]);
    appendFileSync(join(h.dir, 'sshd_config'), `HostKey ${ecKey}\n`);
    process.kill(h.pid() as number, 'SIGHUP'); // sshd re-execs with the new config
    await waitFor('sshd reload', () => (readFileSync(h.logPath, 'utf8').match(/Server listening/g) ?? []).length >= 2);
    const ecLine = readFileSync(`${ecKey}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
    for (const line of [h.hostKey, ecLine]) {
      const ex = await connect(target(h, { host_key: line, host_key_fingerprint: null }), { env: noAgent });
      expect((ex as unknown as { hostKey: { line: string } }).hostKey.line).toBe(line);
      await ex.close();
    }
  });
});

describe.skipIf(!available)('host key mismatch', () => {
  afterAll(stopAllSshd);

  it('a different host key on the same port → HOST_KEY_MISMATCH before anything is sent', async () => {
    const h = await startSshd();
    const pinned = target(h);
    const ex = await connect(pinned, { env: noAgent });
    await ex.close();
    await h.restartWithNewHostKey();
    expect(h.fingerprint).not.toBe(pinned.host_key_fingerprint);
    const logBefore = (await readFile(h.logPath, 'utf8')).length;

    const marker = join(h.root, 'marker');
    const attempt = async () => {
      const ex2 = await connect(pinned, { env: noAgent });
      await ex2.run(exec('touch', marker));
    };
    const err = await failure(attempt());
    expect(err.code).toBe('HOST_KEY_MISMATCH');
    expect(err.message).toContain(pinned.host_key_fingerprint as string);
    expect(err.message).toContain(h.fingerprint);
    expect(err.hint).toContain('infrakt server trust web-1');
    expect(existsSync(marker)).toBe(false);
    // The server saw a connection but no authentication: we hung up after the key exchange.
    const log = (await readFile(h.logPath, 'utf8')).slice(logBefore);
    expect(log).toMatch(/Connection from/);
    expect(log).not.toMatch(/Accepted (publickey|key)/);
    // A fingerprint-only pin is checked the same way.
    const err2 = await failure(connect({ ...pinned, host_key: null }, { env: noAgent }));
    expect(err2.code).toBe('HOST_KEY_MISMATCH');
  });

  it('a stored host key that cannot be read, with no fingerprint, fails closed (issue 11 item 5)', async () => {
    const h = await startSshd();
    const marker = join(h.root, 'marker-damaged-pin');
    const logBefore = (await readFile(h.logPath, 'utf8')).length;
    for (const damaged of ['ssh-ed25519 !!!not-base64!!!', 'garbage', `ssh-rsa ${h.hostKey.split(' ')[1]}`]) {
      const err = await failure(
        (async () => {
          const ex = await connect(target(h, { host_key: damaged, host_key_fingerprint: null }), { env: noAgent });
          await ex.run(exec('touch', marker));
        })(),
      );
      expect(err.code).toBe('HOST_KEY_MISMATCH');
      expect(err.hint).toContain('infrakt server trust web-1');
    }
    expect(existsSync(marker)).toBe(false);
    // Refused before connecting: sshd never even saw a connection.
    expect((await readFile(h.logPath, 'utf8')).slice(logBefore)).not.toMatch(/Connection from/);
    // A damaged key line with a usable fingerprint still verifies against the fingerprint.
    const ex = await connect(target(h, { host_key: 'garbage' }), { env: noAgent });
    expect((await ex.run(exec('true'))).exitCode).toBe(0);
    await ex.close();
  });
});
