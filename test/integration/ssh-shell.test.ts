// The persistent remote shell of the ssh executor against real OpenSSH sshd: framing that hostile
// output cannot confuse, timeout and cancel of one command without losing the shell, a shell killed
// or wedged mid-command (replaced), the channel-of-its-own fallbacks, and the round-trip counter.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type ServerTarget } from '../../src/adapters/connect.js';
import { MAX_SHELL_STDIN } from '../../src/adapters/ssh/ssh-executor.js';
import { exec, raw } from '../../src/core/cmd/index.js';
import { isInfraktError } from '../../src/core/errors.js';
import type { Executor } from '../../src/core/executor.js';
import { secret } from '../../src/core/secret.js';
import { type SshdHost, sshdAvailable, startSshd, stopAllSshd, waitFor } from '../harness/sshd.js';

const available = sshdAvailable();

const target = (h: SshdHost): ServerTarget => ({
  name: 'shell-host',
  host: h.host,
  port: h.port,
  user: h.user,
  key_path: h.keyPath,
  host_key: h.hostKey,
  host_key_fingerprint: h.fingerprint,
});

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return isInfraktError(e) ? e.code : `non-infrakt: ${String(e)}`;
  }
}

// The harness sshd runs on this machine: a remote pid is a local pid.
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

describe.skipIf(!available)('persistent remote shell on real sshd', () => {
  let h: SshdHost;
  let ex: Executor;

  beforeAll(async () => {
    h = await startSshd();
    ex = await connect(target(h));
  });
  afterAll(async () => {
    await ex?.close();
    await stopAllSshd();
  });

  it('counts round trips: one shell, one round trip per command after the first', async () => {
    const one = await connect(target(h));
    try {
      for (let i = 0; i < 5; i++) expect((await one.run(exec('echo', String(i)))).stdout).toBe(`${i}\n`);
      await one.put(join(h.root, 'counted'), 'x');
      expect((await one.get(join(h.root, 'counted'))).toString()).toBe('x');
      expect(one.stats()).toEqual({
        handshakes: 1,
        commands: 7,
        roundTrips: 2 + 7, // channel open + start of sh, then one per command
        channels: 1,
        shells: 1,
        ownChannel: {},
      });
    } finally {
      await one.close();
    }
  });

  it('output that imitates markers, binary output, no trailing newline: all the command’s own', async () => {
    // Marker look-alikes with made-up nonces, at line starts and mid-line, on both streams.
    const fake = (n: string) => `${n}E1 0\n${n}B2\nmid${n}P2 1\n${n}H1\n`;
    const n1 = randomBytes(16).toString('hex');
    const n2 = 'f'.repeat(32);
    const text = fake(n1) + fake(n2);
    const r = await ex.run(exec('sh', '-c', 'printf %s "$1"; printf %s "$1" >&2; printf tail', 'sh', text));
    expect(r).toMatchObject({ exitCode: 0, stdout: `${text}tail`, stderr: text });
    const r2 = await ex.run(exec('printf', 'no newline'));
    expect(r2.stdout).toBe('no newline');
    const r3 = await ex.run(exec('sh', '-c', 'printf err-no-newline >&2; exit 4'));
    expect(r3).toMatchObject({ exitCode: 4, stdout: '', stderr: 'err-no-newline' });
  });

  it('a command that prints everything it can see about its shell cannot break the framing', async () => {
    // Argv and environment of the shell and of the command, and every process's argv: the nonce
    // must be in none of them, or this output would carry a marker and lose bytes.
    const file = join(h.root, 'seen');
    const script = `{ cat /proc/$PPID/cmdline /proc/$PPID/environ /proc/$$/cmdline /proc/$$/environ; ps -eo args; env; } > ${file}; cat ${file}`;
    const r = await ex.run(raw(script));
    expect(r.exitCode).toBe(0);
    expect(Buffer.from(r.stdout)).toEqual(readFileSync(file));
    expect((await ex.run(exec('echo', 'next'))).stdout).toBe('next\n');
  });

  it('binary stdout and stdin arrive byte for byte (every byte value, NUL included)', async () => {
    const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(64 * 1024)]);
    const path = join(h.root, 'bin.dat');
    await ex.put(path, bytes);
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect((await ex.get(path)).equals(bytes)).toBe(true);
    const sum = await ex.run(exec('sha256sum', path));
    expect(sum.stdout.split(' ')[0]).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('stdin (a secret) reaches the command through a pipe: in no argv or environment on the server', async () => {
    const value = `s3cret-${randomBytes(12).toString('hex')}`;
    // Larger than a pipe's buffer: the shell's writer stays blocked while the reader sleeps, so a
    // writer that showed its data in argv (an external printf) would be caught by the scan.
    const payload = `${value}\n`.repeat(Math.ceil((100 * 1024) / (value.length + 1)));
    const one = await connect(target(h));
    try {
      const reader = one.run(raw('sleep 3; wc -c'), { stdin: secret(payload) });
      // The pattern goes to a 0600 file through stdin too, so that grep's own argv does not hold it.
      const scan = await one.run(
        raw(
          'f=$(mktemp); cat > "$f"; i=0; while [ $i -lt 20 ]; do grep -l -a -F -f "$f" /proc/[0-9]*/cmdline /proc/[0-9]*/environ 2>/dev/null; sleep 0.1; i=$((i+1)); done; rm -f "$f"; true',
        ),
        { stdin: secret(value) },
      );
      expect(scan.stdout).toBe('');
      expect((await reader).stdout.trim()).toBe(String(Buffer.byteLength(payload)));
      expect(one.stats().shells).toBe(2); // the scan ran beside the reader, on a second shell
      expect(one.stats().ownChannel).toEqual({});
    } finally {
      await one.close();
    }
  });

  it('huge output streams through (30 MB, 300k lines) and the shell carries on', async () => {
    let lines = 0;
    const r = await ex.stream(exec('seq', '1', '300000'), () => {
      lines++;
    });
    expect(lines).toBe(300_000);
    expect(r.stdout.endsWith('299999\n300000\n')).toBe(true);
    const path = join(h.root, 'big');
    const made = await ex.run(raw(`head -c 30000000 /dev/urandom > ${path}; sha256sum < ${path}`));
    const got = await ex.get(path);
    expect(got.length).toBe(30_000_000);
    expect(createHash('sha256').update(got).digest('hex')).toBe(made.stdout.split(' ')[0]);
  });

  it('timeout and cancel kill exactly that command; the shell stays and serves the next', async () => {
    const one = await connect(target(h));
    try {
      await one.run(exec('true'));
      const tag = `${400 + Math.floor(Math.random() * 1e6)}`;
      const pids = async () =>
        (await ex.run(raw(`pgrep -f '^sleep ${tag}$' || true`))).stdout.trim().split('\n').filter(Boolean);
      const p = codeOf(one.run(raw(`sh -c 'sleep ${tag}' & wait`), { timeoutMs: 1_000 }));
      await waitFor('the sleep', async () => (await pids()).length === 1, 20_000);
      expect(await p).toBe('TIMEOUT');
      expect(await pids()).toEqual([]);
      const ac = new AbortController();
      const q = codeOf(one.stream(raw(`echo started; exec sleep ${tag}`), () => ac.abort(), { signal: ac.signal }));
      expect(await q).toBe('CANCELLED');
      expect(await pids()).toEqual([]);
      expect((await one.run(exec('echo', 'still here'))).stdout).toBe('still here\n');
      const s = one.stats();
      expect(s.shells).toBe(1); // the same shell ran everything
      expect(s.channels).toBe(1 + 2); // plus one kill helper per stop
    } finally {
      await one.close();
    }
  });

  it('a shell killed mid-command fails that command and is replaced for the next', async () => {
    const one = await connect(target(h));
    try {
      let shellPid = 0;
      const p = codeOf(
        one.stream(raw('echo $PPID; exec sleep 600'), (_s, line) => {
          shellPid = Number(line);
          process.kill(shellPid, 'SIGKILL');
        }),
      );
      expect(await p).toBe('SSH_UNREACHABLE');
      expect(shellPid).toBeGreaterThan(1);
      expect((await one.run(exec('echo', 'next'))).stdout).toBe('next\n');
      expect(one.stats().shells).toBe(2);
      // A command that ends its own shell: the same, from the inside.
      const err = await one.run(raw('kill -9 $PPID; sleep 1; echo after')).catch((e: unknown) => e);
      expect(isInfraktError(err) && err.code).toBe('SSH_UNREACHABLE');
      expect(isInfraktError(err) && err.message).toContain('remote shell');
      expect((await one.run(exec('echo', 'again'))).stdout).toBe('again\n');
      expect(one.stats().shells).toBe(3);
    } finally {
      await one.close();
    }
  });

  it('a command that wedges its shell (SIGSTOP) times out; the shell is killed and replaced', async () => {
    const one = await connect(target(h));
    try {
      let shellPid = 0;
      const p = codeOf(
        one.stream(
          raw('echo $PPID; kill -STOP $PPID; exec sleep 600'),
          (_s, line) => {
            shellPid = Number(line);
          },
          { timeoutMs: 1_500 },
        ),
      );
      expect(await p).toBe('TIMEOUT');
      expect(shellPid).toBeGreaterThan(1);
      // The next command does not wait for the stopped shell: a new one serves it.
      expect((await one.run(exec('echo', 'next'), { timeoutMs: 60_000 })).stdout).toBe('next\n');
      expect(one.stats().shells).toBe(2);
      await waitFor('the wedged shell to be killed', () => !alive(shellPid), 30_000);
    } finally {
      await one.close();
    }
  });

  it('parallel commands: long ones get shells of their own, up to the channel cap', async () => {
    const one = await connect(target(h), { maxChannels: 4 });
    try {
      await one.run(exec('true'));
      const started = performance.now();
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => one.run(raw(`sleep 2; echo ${i}`), { timeoutMs: 120_000 })),
      );
      expect(results.map((r) => r.stdout)).toEqual(Array.from({ length: 8 }, (_, i) => `${i}\n`));
      expect(one.stats().shells).toBe(4);
      // 8 × 2 s on 4 shells: two rounds, not eight.
      expect(performance.now() - started).toBeLessThan(8 * 2_000);
    } finally {
      await one.close();
    }
  });

  it('large stdin and a user command line each take a channel of their own', async () => {
    const one = await connect(target(h));
    try {
      const big = randomBytes(MAX_SHELL_STDIN + 1);
      const path = join(h.root, 'large');
      await one.put(path, big);
      expect(readFileSync(path).equals(big)).toBe(true);
      // runLine: the login shell (root's is bash) parses the line, as `ssh host '<line>'` does.
      const r = await one.runLine('[[ -n "$BASH_VERSION" ]] && echo "bash $0"');
      expect(r.stdout).toMatch(/^bash .*bash/);
      expect(one.stats().ownChannel).toEqual({ 'large-stdin': 1, 'login-shell': 1 });
    } finally {
      await one.close();
    }
  });

  it('runLine: timeout kills the whole process group of the login shell', async () => {
    const tag = `${700 + Math.floor(Math.random() * 1e6)}`;
    const pids = async () =>
      (await ex.run(raw(`pgrep -f '^sleep ${tag}$' || true`))).stdout.trim().split('\n').filter(Boolean);
    const p = codeOf(ex.runLine(`sleep ${tag} & sleep ${tag}; wait`, { timeoutMs: 1_500 }));
    await waitFor('the sleeps', async () => (await pids()).length === 2, 20_000);
    expect(await p).toBe('TIMEOUT');
    await waitFor('the sleeps to end', async () => (await pids()).length === 0, 10_000);
  });

  it('turned off (INFRAKT_SSH_SHELL=off), or one command only: a channel per command, same results', async () => {
    const off = await connect(target(h), { env: { ...process.env, INFRAKT_SSH_SHELL: 'off' } });
    try {
      const r = await off.run(raw('echo out; echo err >&2; exit 5'));
      expect(r).toMatchObject({ exitCode: 5, stdout: 'out\n', stderr: 'err\n' });
      expect(off.stats()).toMatchObject({ shells: 0, channels: 1, ownChannel: { disabled: 1 } });
    } finally {
      await off.close();
    }
    // An operation of one command (server status, server test) asks for no shell.
    const single = await connect(target(h), { singleCommand: true });
    try {
      expect((await single.run(exec('echo', 'one'))).stdout).toBe('one\n');
      expect(single.stats()).toMatchObject({
        shells: 0,
        channels: 1,
        roundTrips: 3,
        ownChannel: { 'single-command': 1 },
      });
    } finally {
      await single.close();
    }
  });
});

describe.skipIf(!available)('a server where the persistent shell cannot start', () => {
  let h: SshdHost;

  beforeAll(async () => {
    // A restricted account: every command but the shell runs (as a forced command would filter).
    const filter = fileURLToPath(new URL('../harness/no-shell-filter.sh', import.meta.url));
    expect(existsSync(filter)).toBe(true);
    h = await startSshd({ extraConfig: [`ForceCommand /bin/sh ${filter}`] });
  });
  afterAll(async () => {
    await stopAllSshd();
  });

  it('falls back to a channel per command and says so in the stats', async () => {
    const ex = await connect(target(h));
    try {
      const r = await ex.run(raw('echo out; echo err >&2; exit 6'));
      expect(r).toMatchObject({ exitCode: 6, stdout: 'out\n', stderr: 'err\n' });
      expect((await ex.run(exec('echo', 'second'))).stdout).toBe('second\n');
      expect(ex.stats()).toMatchObject({ shells: 1, ownChannel: { 'no-shell': 2 } });
    } finally {
      await ex.close();
    }
  });
});
