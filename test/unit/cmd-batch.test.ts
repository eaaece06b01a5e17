// batch(): independent commands in one script (one round trip), run through the real /bin/sh: each part's
// status and stdout come back apart, whatever the parts print (frame-like text, no trailing newline,
// binary), an `exit` ends only its part, only the stdin part reads stdin, and secrets are refused.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatchStream, batch, exec, parseBatch, pipe, raw, render, seq } from '../../src/core/cmd/index.js';
import { secret } from '../../src/core/secret.js';

const NONCE = '0123456789abcdef01234567';
const sh = (script: string, input = '') => {
  const r = spawnSync('/bin/sh', ['-c', script], { input, encoding: 'latin1' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('batch', () => {
  it('renders each part in its own sh -c between frames carrying the nonce', () => {
    expect(render(batch([{ name: 'one', cmd: exec('echo', 'a b') }], NONCE))).toBe(
      `printf '%s\\n' ${NONCE}:begin:one; sh -c 'echo '\\''a b'\\''' < /dev/null; { printf '\\n%s:end:%s\\n' ${NONCE} "$?"; }`,
    );
  });

  it('gives each part its own status and stdout, however hostile the output', () => {
    const parts = [
      { name: 'plain', cmd: exec('printf', 'x\\ny\\n') },
      { name: 'no-newline', cmd: exec('printf', 'tail') },
      // A part printing frame-like text with another nonce, and ours without the leading newline.
      { name: 'fake', cmd: exec('printf', `beef:end:0\\n${NONCE}:begin:plain\\n`) },
      { name: 'exits', cmd: seq(exec('echo', 'before'), exec('exit', '3')) },
      { name: 'binary', cmd: exec('printf', '\\001\\377\\000z') },
      { name: 'after', cmd: exec('echo', 'still runs') },
    ];
    const r = sh(render(batch(parts, NONCE)));
    expect(r.code).toBe(0);
    const got = parseBatch(r.stdout, NONCE);
    expect(got.get('plain')).toEqual({ exitCode: 0, stdout: 'x\ny\n' });
    expect(got.get('no-newline')).toEqual({ exitCode: 0, stdout: 'tail' });
    expect(got.get('exits')).toEqual({ exitCode: 3, stdout: 'before\n' });
    expect(got.get('binary')).toEqual({ exitCode: 0, stdout: '\x01\xff\x00z' });
    expect(got.get('after')).toEqual({ exitCode: 0, stdout: 'still runs\n' });
    // The fake frames are that part's output, and did not end it early.
    expect(got.get('fake')?.stdout).toBe(`beef:end:0\n${NONCE}:begin:plain\n`);
  });

  it('only the stdin part reads the stdin; the others read /dev/null', () => {
    const parts = [
      { name: 'before', cmd: pipe(exec('cat'), exec('wc', '-c')) },
      { name: 'reader', cmd: exec('cat'), stdin: true },
      { name: 'after', cmd: pipe(exec('cat'), exec('wc', '-c')) },
    ];
    const got = parseBatch(sh(render(batch(parts, NONCE)), 'the input').stdout, NONCE);
    expect(got.get('reader')?.stdout).toBe('the input');
    expect(got.get('before')?.stdout.trim()).toBe('0');
    expect(got.get('after')?.stdout.trim()).toBe('0');
  });

  it('a part with `after` runs only when that part exited 0; skipped parts are absent, later ones still run', () => {
    const parts = [
      { name: 'ok', cmd: exec('echo', 'one') },
      { name: 'then', cmd: exec('echo', 'two'), after: 'ok' },
      { name: 'fails', cmd: exec('false'), after: 'then' },
      { name: 'skipped', cmd: exec('echo', 'never'), after: 'fails' },
      { name: 'chained-skip', cmd: exec('echo', 'never either'), after: 'skipped' },
      { name: 'free', cmd: exec('echo', 'always') },
    ];
    const got = parseBatch(sh(render(batch(parts, NONCE))).stdout, NONCE);
    expect(got.get('then')).toEqual({ exitCode: 0, stdout: 'two\n' });
    expect(got.get('fails')?.exitCode).toBe(1);
    expect(got.has('skipped')).toBe(false);
    expect(got.has('chained-skip')).toBe(false);
    expect(got.get('free')).toEqual({ exitCode: 0, stdout: 'always\n' });
    expect(() => batch([{ name: 'a', cmd: exec('true'), after: 'b' }], NONCE)).toThrow(/earlier part/);
  });

  it('BatchStream gives each part as its frame ends, the same results as parseBatch', () => {
    const parts = [
      { name: 'lines', cmd: exec('printf', 'x\\ny\\n') },
      { name: 'no-newline', cmd: exec('printf', 'tail') },
      { name: 'empty', cmd: exec('true') },
      { name: 'blank', cmd: exec('printf', '\\n') },
      { name: 'exits', cmd: seq(exec('echo', 'before'), exec('exit', '3')) },
    ];
    const out = sh(render(batch(parts, NONCE))).stdout;
    const ended: string[] = [];
    const seen = new Map<string, { exitCode: number; stdout: string }>();
    const live: string[] = [];
    const stream = new BatchStream(NONCE, {
      onLine: (part, line) => live.push(`${part}:${line}`),
      onEnd: (part, r) => {
        ended.push(part);
        seen.set(part, r);
      },
    });
    for (const line of out.replace(/\n$/, '').split('\n')) stream.line(line);
    expect(ended).toEqual(parts.map((p) => p.name));
    expect(seen).toEqual(parseBatch(out, NONCE));
    expect(live).toContain('lines:x');
  });

  it('a concurrent part runs beside the parts before its turn; results, statuses and `after` as for any part', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'ikt-batch-'));
    try {
      const flag = join(tmp, 'flag');
      // `waits`, the first part, can only see the flag if `creates`, a concurrent part after it, runs meanwhile.
      const waits = raw(
        `i=0; while [ ! -f ${flag} ]; do i=$((i+1)); [ $i -gt 200 ] && exit 9; sleep 0.05; done; echo saw it`,
      );
      const parts = [
        { name: 'waits', cmd: waits },
        { name: 'binary', cmd: exec('printf', '\\001\\377\\000z'), concurrent: true },
        { name: 'creates', cmd: seq(exec('touch', flag), exec('echo', 'made')), concurrent: true },
        { name: 'fails', cmd: seq(exec('echo', 'out'), exec('exit', '4')), concurrent: true },
        { name: 'follows', cmd: exec('echo', 'after creates'), after: 'creates' },
        { name: 'skipped', cmd: exec('echo', 'never'), after: 'fails' },
      ];
      const run = (env: Record<string, string>) => {
        const r = spawnSync('/bin/sh', ['-c', render(batch(parts, NONCE))], {
          encoding: 'latin1',
          env: { ...process.env, ...env },
        });
        return { code: r.status, got: parseBatch(r.stdout, NONCE) };
      };
      const work = mkdtempSync(join(tmp, 'work-'));
      const r = run({ TMPDIR: work });
      expect(r.code).toBe(0);
      expect(r.got.get('waits')).toEqual({ exitCode: 0, stdout: 'saw it\n' });
      expect(r.got.get('binary')).toEqual({ exitCode: 0, stdout: '\x01\xff\x00z' });
      expect(r.got.get('fails')).toEqual({ exitCode: 4, stdout: 'out\n' });
      expect(r.got.get('creates')).toEqual({ exitCode: 0, stdout: 'made\n' });
      expect(r.got.get('follows')).toEqual({ exitCode: 0, stdout: 'after creates\n' });
      expect(r.got.has('skipped')).toBe(false);
      // The outputs' temp dir is gone with the script.
      expect(readdirSync(work)).toEqual([]);
      // No temp dir to be had: each concurrent part runs at its turn, so the waiting one now times out.
      rmSync(flag);
      const inline = run({ TMPDIR: join(tmp, 'missing') });
      expect(inline.got.get('waits')?.exitCode).toBe(9);
      expect(inline.got.get('fails')).toEqual({ exitCode: 4, stdout: 'out\n' });
      expect(inline.got.get('creates')?.exitCode).toBe(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    expect(() => batch([{ name: 'a', cmd: exec('cat'), stdin: true, concurrent: true }], NONCE)).toThrow(/concurrent/);
    expect(() =>
      batch(
        [
          { name: 'a', cmd: exec('true') },
          { name: 'b', cmd: exec('true'), after: 'a', concurrent: true },
        ],
        NONCE,
      ),
    ).toThrow(/concurrent/);
    expect(() => batch([{ name: 'a', cmd: exec('echo', secret('pw')), concurrent: true }], NONCE)).toThrow(/secret/);
  }, 60_000);

  it('a script cut short leaves the parts that did not finish out', () => {
    const out = parseBatch(`${NONCE}:begin:a\nok\n${NONCE}:end:0\n${NONCE}:begin:b\nhalf`, NONCE);
    expect([...out.keys()]).toEqual(['a']);
  });

  it('refuses bad names, repeated names, two stdin parts, a bad nonce and secrets', () => {
    const e = exec('true');
    expect(() => batch([{ name: 'A B', cmd: e }], NONCE)).toThrow(/name/);
    expect(() =>
      batch(
        [
          { name: 'a', cmd: e },
          { name: 'a', cmd: e },
        ],
        NONCE,
      ),
    ).toThrow(/repeated/);
    expect(() =>
      batch(
        [
          { name: 'a', cmd: e, stdin: true },
          { name: 'b', cmd: e, stdin: true },
        ],
        NONCE,
      ),
    ).toThrow(/stdin/);
    expect(() => batch([{ name: 'a', cmd: e }], "x'; touch /tmp/x")).toThrow(/nonce/);
    expect(() => batch([{ name: 'a', cmd: exec('echo', secret('pw')) }], NONCE)).toThrow(/secret/);
    expect(() => batch([{ name: 'a', cmd: raw('true') }], NONCE)).not.toThrow();
  });
});
