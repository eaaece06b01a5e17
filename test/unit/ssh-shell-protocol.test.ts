// The persistent shell's wire protocol: the frame parser, the printf encoding of stdin, and the
// preamble and requests run by real local shells (dash, bash, busybox sh when installed).
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FrameParser, type Piece } from '../../src/adapters/ssh/frame-parser.js';
import { preamble, printfFormat, request } from '../../src/adapters/ssh/shell-protocol.js';

const NONCE = 'a'.repeat(8) + randomBytes(12).toString('hex');

const dataOf = (pieces: Piece[]) => Buffer.concat(pieces.flatMap((p) => ('data' in p ? [p.data] : [])));
const markersOf = (pieces: Piece[]) => pieces.flatMap((p) => ('marker' in p ? [p.marker] : []));

describe('frame parser', () => {
  it('splits data and markers, also a marker in the middle of a line', () => {
    const p = new FrameParser(NONCE);
    const pieces = p.push(Buffer.from(`noise\n${NONCE}B1\nhel${NONCE}P1 4242\nlo\n${NONCE}E1 3\n`));
    expect(markersOf(pieces)).toEqual([
      { kind: 'B', fields: ['1'] },
      { kind: 'P', fields: ['1', '4242'] },
      { kind: 'E', fields: ['1', '3'] },
    ]);
    expect(dataOf(pieces).toString()).toBe('noise\nhello\n');
  });

  it('finds a marker split at every possible byte', () => {
    const stream = Buffer.from(`out${NONCE}E7 0\n`);
    for (let cut = 1; cut < stream.length; cut++) {
      const p = new FrameParser(NONCE);
      const pieces = [...p.push(stream.subarray(0, cut)), ...p.push(stream.subarray(cut))];
      expect(dataOf(pieces).toString()).toBe('out');
      expect(markersOf(pieces)).toEqual([{ kind: 'E', fields: ['7', '0'] }]);
    }
  });

  it('passes binary data, near-misses and a nonce prefix at the end through untouched', () => {
    const p = new FrameParser(NONCE);
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const nearMiss = Buffer.from(`${NONCE.slice(0, -1)}xE1 0\n`);
    const prefix = Buffer.from(NONCE.slice(0, 20));
    const pieces = [...p.push(Buffer.concat([all, nearMiss, prefix]))];
    expect(markersOf(pieces)).toEqual([]);
    // The possible start of a marker is held back until the stream says otherwise.
    expect(dataOf(pieces)).toEqual(Buffer.concat([all, nearMiss]));
    expect(p.flush()).toEqual(prefix);
  });
});

describe('printf encoding of stdin', () => {
  it('text stays readable; %, backslash, quote and non-ASCII are escaped', () => {
    expect(printfFormat(Buffer.from('A=1\nB=50%\n'))).toBe('A=1\nB=50%%\n');
    expect(printfFormat(Buffer.from("it's \\ é"))).toBe('it\\047s \\134 \\303\\251');
  });

  it('a leading dash is escaped, so printf never reads the payload as an option (PEM keys start with -----)', () => {
    const pem = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----\n';
    expect(printfFormat(Buffer.from(pem)).startsWith('\\055----BEGIN')).toBe(true);
    expect(printfFormat(Buffer.from('a-b'))).toBe('a-b');
    const out = execFileSync('sh', ['-c', 'printf "$1"', 'sh', printfFormat(Buffer.from(pem))]);
    expect(out.toString()).toBe(pem);
  });

  it('every byte value survives a real printf builtin', () => {
    const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(4096)]);
    const out = execFileSync('sh', ['-c', 'printf "$1"', 'sh', printfFormat(bytes)]);
    expect(out.equals(bytes)).toBe(true);
  });
});

// Every POSIX sh on this machine: dash is Debian's /bin/sh, bash is /bin/sh on RHEL-likes, busybox on Alpine.
// Under CI a missing one is a failure (busybox-static is in scripts/test-setup.sh), not a skip.
const shells = ['/bin/dash', '/bin/bash', '/bin/busybox'].filter((s) => existsSync(s) || process.env.CI === 'true');

describe.each(shells)('preamble and requests through %s', (shell) => {
  const argv = shell.endsWith('busybox') ? ['sh'] : [];
  const run = (text: string) => {
    const r = spawnSync(shell, argv, { input: text });
    const p = new FrameParser(NONCE);
    const q = new FrameParser(NONCE);
    const out = p.push(r.stdout);
    const err = q.push(r.stderr);
    return { out, err, stdout: dataOf(out), stderr: dataOf(err) };
  };

  it('hello, begin, pgid, end with the exit status; streams apart; stdin exact', () => {
    const stdin = Buffer.concat([Buffer.from("a'b%c\\d\0e\n"), randomBytes(512)]);
    const r = run(
      preamble(NONCE) +
        request(1, 'echo out; echo err >&2; exit 3') +
        request(2, 'cat', stdin) +
        request(3, 'cat', new Uint8Array()) +
        request(4, "printf 'no newline'"),
    );
    const kinds = markersOf(r.out).map((m) => (m.kind === 'H' ? 'H' : `${m.kind}${m.fields[0]}`));
    expect(kinds).toEqual(['H', 'B1', 'P1', 'E1', 'B2', 'P2', 'E2', 'B3', 'P3', 'E3', 'B4', 'P4', 'E4']);
    expect(
      markersOf(r.out)
        .filter((m) => m.kind === 'E')
        .map((m) => m.fields[1]),
    ).toEqual(['3', '0', '0', '0']);
    expect(markersOf(r.err).map((m) => `${m.kind}${m.fields.join(' ')}`)).toEqual([
      'B1',
      'E1 3',
      'B2',
      'E2 0',
      'B3',
      'E3 0',
      'B4',
      'E4 0',
    ]);
    expect(r.stdout).toEqual(Buffer.concat([Buffer.from('out\n'), stdin, Buffer.from('no newline')]));
    expect(r.stderr.toString()).toBe('err\n');
  });

  it('each command is the leader of its own process group; the nonce is in no argv or environment', () => {
    const r = run(
      preamble(NONCE) +
        request(
          1,
          'cut -d" " -f5 /proc/$$/stat; echo $$; cat /proc/$PPID/cmdline /proc/$PPID/environ /proc/$$/cmdline; env',
        ),
    );
    const [pgid, pid] = r.stdout
      .toString()
      .split('\n')
      .map((l) => l.trim());
    expect(pgid).toBe(pid);
    expect(markersOf(r.out).find((m) => m.kind === 'P')?.fields[1]).toBe(pid);
    expect(r.stdout.includes(Buffer.from(NONCE))).toBe(false);
    expect(markersOf(r.out).map((m) => m.kind)).toEqual(['H', 'B', 'P', 'E']);
  });
});
