// batch(): independent commands in one script (one round trip), run through the real /bin/sh: each part's
// status and stdout come back apart, whatever the parts print (frame-like text, no trailing newline,
// binary), an `exit` ends only its part, only the stdin part reads stdin, and secrets are refused.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { batch, exec, parseBatch, pipe, raw, render, seq } from '../../src/core/cmd/index.js';
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
