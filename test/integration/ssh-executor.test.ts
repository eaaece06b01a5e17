// The ssh2 executor against real OpenSSH sshd instances (test/harness/sshd.ts).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type ServerTarget } from '../../src/adapters/connect.js';
import { exec, raw, seq, toFile } from '../../src/core/cmd/index.js';
import { isInfraktError } from '../../src/core/errors.js';
import type { Executor, StreamName } from '../../src/core/executor.js';
import { secret } from '../../src/core/secret.js';
import { type SshdHost, sshdAvailable, startSshd, stopAllSshd, waitFor } from '../harness/sshd.js';

const available = sshdAvailable();

function target(h: SshdHost, extra: Partial<ServerTarget> = {}): ServerTarget {
  return {
    name: 'test-host',
    host: h.host,
    port: h.port,
    user: h.user,
    key_path: h.keyPath,
    host_key: h.hostKey,
    host_key_fingerprint: h.fingerprint,
    ...extra,
  };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return isInfraktError(e) ? e.code : `non-infrakt: ${String(e)}`;
  }
}

describe.skipIf(!available)('ssh executor on real sshd', () => {
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

  it('runs a command and reports exit code, stdout and stderr apart', async () => {
    const r = await ex.run(seq(exec('echo', 'out'), toFile(exec('echo', 'err'), '/dev/stderr'), raw('exit 7')));
    expect(r).toMatchObject({ exitCode: 7, stdout: 'out\n', stderr: 'err\n' });
    const ok = await ex.run(exec('true'));
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toBe('');
  });

  it('streams lines as they come, streams kept apart and in order', async () => {
    const lines: [StreamName, string][] = [];
    const script = 'for i in 1 2 3; do echo o$i; echo e$i >&2; sleep 0.05; done; printf tail';
    const r = await ex.stream(exec('sh', '-c', script), (s, l) => lines.push([s, l]));
    expect(lines.filter(([s]) => s === 'stdout').map(([, l]) => l)).toEqual(['o1', 'o2', 'o3', 'tail']);
    expect(lines.filter(([s]) => s === 'stderr').map(([, l]) => l)).toEqual(['e1', 'e2', 'e3']);
    expect(r.stdout).toBe('o1\no2\no3\ntail');
  });

  it('passes stdin and scrubs secrets from captured output', async () => {
    const s = secret('hunter2-very-secret');
    const r = await ex.run(exec('cat'), { stdin: s });
    expect(r.stdout).toBe('[redacted]');
    const r2 = await ex.run(exec('echo', 'x', s));
    expect(r2.stdout).toBe('x [redacted]\n');
  });

  it('runs several commands in parallel over one connection (more than the channel cap)', async () => {
    const before = h.connectionCount();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => ex.run(exec('sh', '-c', `sleep 0.2; echo ${i}`))),
    );
    expect(results.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(h.connectionCount()).toBe(before);
  });

  it('a command timed out while queued for a channel gives its slot back', async () => {
    const one = await connect(target(h), { maxChannels: 1 });
    try {
      const first = one.run(exec('sleep', '1'));
      expect(await codeOf(one.run(exec('true'), { timeoutMs: 100 }))).toBe('TIMEOUT');
      expect((await first).exitCode).toBe(0);
      // With a leaked slot this would wait forever (and time out).
      expect((await one.run(exec('echo', 'next'), { timeoutMs: 10_000 })).stdout).toBe('next\n');
    } finally {
      await one.close();
    }
  });

  it('timeout kills the remote process group and rejects with TIMEOUT', async () => {
    // A unique duration names the process in ps; a grandchild, so killing only the shell would miss it.
    const tag = `sleep ${300 + Math.floor(Math.random() * 1e6)}`;
    const count = async () =>
      (
        await ex.run(
          exec(
            'sh',
            '-c',
            `ps -eo stat=,comm=,args= | awk -v t="$1" '$1 !~ /^Z/ && $2 == "sleep" && $0 ~ t"$"' | wc -l`,
            'sh',
            tag,
          ),
        )
      ).stdout.trim();
    const started = Date.now();
    const p = codeOf(ex.run(exec('sh', '-c', `sh -c '${tag}; echo never' & wait`), { timeoutMs: 1_500 }));
    await waitFor('the sleep to start', async () => (await count()) === '1');
    expect(await p).toBe('TIMEOUT');
    // Ended by the 1.5 s timeout (plus the kill grace), never by the sleep's own 300+ s.
    expect(Date.now() - started).toBeLessThan(60_000);
    expect(await count()).toBe('0');
  });

  it('cancel mid-stream kills the command and rejects with CANCELLED', async () => {
    const ac = new AbortController();
    const seen: string[] = [];
    const p = ex.stream(
      exec('sh', '-c', 'i=0; while true; do i=$((i+1)); echo tick$i; sleep 0.05; done'),
      (_s, line) => {
        seen.push(line);
        if (seen.length === 3) ac.abort();
      },
      { signal: ac.signal },
    );
    expect(await codeOf(p)).toBe('CANCELLED');
    const n = seen.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.length).toBe(n);
    expect(await codeOf(ex.run(exec('true'), { signal: AbortSignal.abort() }))).toBe('CANCELLED');
  });

  it('put writes atomically with the requested mode; get reads it back', async () => {
    const path = join(h.root, 'cfg', 'app.env');
    await ex.run(exec('mkdir', '-p', join(h.root, 'cfg')));
    await ex.put(path, 'A=1\n', { mode: 0o640 });
    expect((await ex.get(path)).toString()).toBe('A=1\n');
    const st = await ex.run(exec('stat', '-c', '%a', path));
    expect(st.stdout.trim()).toBe('640');
    // Without a mode the existing mode is kept.
    await ex.put(path, 'A=2\n');
    expect((await ex.run(exec('stat', '-c', '%a', path))).stdout.trim()).toBe('640');
    await ex.put(join(h.root, 'cfg', 'secret'), secret('s3cret-value'));
    expect((await ex.run(exec('stat', '-c', '%a', join(h.root, 'cfg', 'secret')))).stdout.trim()).toBe('600');
    expect(await codeOf(ex.get(join(h.root, 'missing')))).toBe('COMMAND_FAILED');
    expect(await codeOf(ex.put(join(h.root, 'no', 'such', 'dir', 'f'), 'x'))).toBe('COMMAND_FAILED');
  });

  it('put is atomic: a concurrent reader never sees a partial file', async () => {
    const path = join(h.root, 'atomic.txt');
    const big = (c: string) => `${c.repeat(2 * 1024 * 1024)}\n`;
    await ex.put(path, big('a'));
    // The reader loops on the server, recording any read that is not one whole version.
    const reader = ex.run(
      exec(
        'sh',
        '-c',
        `n=0; bad=0; while [ $n -lt 400 ]; do s=$(wc -c < "$1"); [ "$s" = 2097153 ] || bad=$((bad+1)); n=$((n+1)); done; echo $bad`,
        'sh',
        path,
      ),
    );
    for (const c of ['b', 'c', 'd', 'e', 'f']) await ex.put(path, big(c));
    const r = await reader;
    expect(r.stdout.trim()).toBe('0');
    const leftovers = await ex.run(exec('sh', '-c', `ls -a "$1" | grep -c infrakt- || true`, 'sh', h.root));
    expect(leftovers.stdout.trim()).toBe('0');
  });

  it('connectTcp opens a TCP stream from the server', async () => {
    const sock = await ex.connectTcp(h.port);
    const banner = await new Promise<string>((resolve) => sock.once('data', (b: Buffer) => resolve(b.toString())));
    sock.destroy();
    expect(banner.startsWith('SSH-2.0-')).toBe(true);
  });

  it('a marker file proves nothing ran for failing connects', async () => {
    expect(existsSync(join(h.root, 'never'))).toBe(false);
    await waitFor('log', () => h.connectionCount() >= 1);
  });
});
