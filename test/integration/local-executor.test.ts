// The local executor (server host `local`): same contract as over SSH, on this machine.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect } from '../../src/adapters/connect.js';
import { exec, raw } from '../../src/core/cmd/index.js';
import { isInfraktError } from '../../src/core/errors.js';
import type { StreamName } from '../../src/core/executor.js';
import { secret } from '../../src/core/secret.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return isInfraktError(e) ? e.code : `non-infrakt: ${String(e)}`;
  }
}

function alive(tag: string): boolean {
  // Count live (non-zombie) processes whose command line is exactly the tag.
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (cmdline === tag && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z') return true;
    } catch {
      // gone
    }
  }
  return false;
}

describe('local executor', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ikt-test-local-'));
  const ex = await connect({
    name: 'here',
    host: 'local',
    port: 22,
    user: 'root',
    key_path: null,
    host_key: null,
    host_key_fingerprint: null,
  });
  afterAll(async () => {
    await ex.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is picked for host local and reports exit code, stdout, stderr', async () => {
    expect(ex.target).toBe('local');
    const r = await ex.run(raw('echo out; echo err >&2; exit 4'));
    expect(r).toMatchObject({ exitCode: 4, stdout: 'out\n', stderr: 'err\n' });
  });

  it('streams lines apart and scrubs secrets; stdin reaches the command', async () => {
    const lines: [StreamName, string][] = [];
    const s = secret('local-secret-value');
    const r = await ex.stream(exec('sh', '-c', 'cat; echo; echo warn >&2'), (st, l) => lines.push([st, l]), {
      stdin: s,
    });
    expect(r.stdout).toBe('[redacted]\n');
    expect(lines).toContainEqual(['stdout', '[redacted]']);
    expect(lines).toContainEqual(['stderr', 'warn']);
  });

  it('timeout kills the whole process group', async () => {
    const tag = `sleep ${400 + Math.floor(Math.random() * 1e6)}`;
    const p = codeOf(ex.run(exec('sh', '-c', `sh -c '${tag}' & wait`), { timeoutMs: 500 }));
    expect(await p).toBe('TIMEOUT');
    expect(alive(tag)).toBe(false);
  });

  it('cancel mid-stream rejects with CANCELLED', async () => {
    const ac = new AbortController();
    let n = 0;
    const p = ex.stream(
      raw('while true; do echo tick; sleep 0.05; done'),
      () => {
        if (++n === 3) ac.abort();
      },
      { signal: ac.signal },
    );
    expect(await codeOf(p)).toBe('CANCELLED');
  });

  it('put is atomic with the mode; get reads back', async () => {
    const path = join(dir, 'app.env');
    await ex.put(path, 'X=1\n', { mode: 0o600 });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect((await ex.get(path)).toString()).toBe('X=1\n');
    expect(await codeOf(ex.get(join(dir, 'missing')))).toBe('COMMAND_FAILED');
  });
});
