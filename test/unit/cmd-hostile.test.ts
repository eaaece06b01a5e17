// Hostile arguments rendered by src/core/cmd and run through the real /bin/sh: every payload must
// arrive byte-for-byte (as an argument, an env value, a Secret, nested in sh -c the way sudo() nests
// it, a redirect target) and no marker file may ever appear.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Cmd, exec, raw, render, sudo, toFile, withEnv } from '../../src/core/cmd/index.js';
import { secret } from '../../src/core/secret.js';

let dir: string;
let marker: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ikt-test-quote-'));
  marker = join(dir, 'MARK');
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function payloads(m: string): string[] {
  return [
    `$(touch ${m})`,
    `\`touch ${m}\``,
    `; touch ${m}`,
    `;touch ${m};`,
    `&& touch ${m}`,
    `|| touch ${m}`,
    `| touch ${m}`,
    `& touch ${m} &`,
    `'; touch ${m}; '`,
    `"; touch ${m}; "`,
    `'"'"'; touch ${m}`,
    `\\'; touch ${m}; echo \\'`,
    `'\\''; touch ${m}; '\\''`,
    `"$(touch ${m})"`,
    `'$(touch ${m})'`,
    `$(touch ${m})'`,
    `\ntouch ${m}`,
    `a\ntouch ${m}\nb`,
    `\r\ntouch ${m}\r\n`,
    `> ${m}`,
    `>> ${m}`,
    `< /dev/null > ${m}`,
    `2> ${m}`,
    `$((1+1))$(touch ${m})`,
    `\${IFS}touch\${IFS}${m}`,
    `$IFS; touch ${m}`,
    `{touch,${m}}`,
    `$(printf 'touch ${m}' | sh)`,
    `x=$(touch ${m})`,
    `a='; touch ${m}; '`,
    `=`,
    `a=b`,
    `PATH=/nonexistent`,
    '*',
    '/*',
    '?',
    '[a-z]*',
    '~',
    '~root',
    '~/x',
    '!',
    '!!',
    `#; touch ${m}`,
    '# comment',
    '-n',
    '-e',
    '--help',
    '-rf /',
    '--',
    '-',
    '',
    ' ',
    '  leading and trailing  ',
    "''",
    '""',
    "'",
    '"',
    '\\',
    '\\\\',
    '\\n',
    '$',
    '$$',
    '$0',
    '$@',
    '$' + '{HOME}', // (split so the linter doesn't take it for a template slip)
    '%s%n%x',
    '\t\ttabs',
    '\u0001\u0002\u001b[31mred\u001b[0m\u007f',
    'héllo wörld ✓ 日本語 🚀',
    '\u202eRTL override\u200b zero-width',
    'if',
    'then fi',
    '{ a; }',
    '( subshell )',
    'a'.repeat(10_000),
  ];
}

/** Runs a rendered command with /bin/sh, returning stdout as bytes. */
function sh(cmd: Cmd): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync('/bin/sh', ['-c', render(cmd)], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

const split0 = (b: Buffer): string[] => {
  const parts = b.toString('utf8').split('\0');
  parts.pop();
  return parts;
};

describe('hostile payloads through /bin/sh', () => {
  it('there are at least 50 of them', () => {
    expect(payloads('M').length).toBeGreaterThanOrEqual(50);
  });

  it('as arguments: each arrives byte-for-byte, nothing runs', () => {
    const ps = payloads(marker);
    const r = sh(exec('printf', '%s\\0', ...ps));
    expect(r.status).toBe(0);
    expect(split0(r.stdout)).toEqual(ps);
    expect(existsSync(marker)).toBe(false);
  });

  it('one at a time, so a payload cannot hide behind its neighbours', () => {
    for (const p of payloads(marker)) {
      const r = sh(exec('printf', '%s\\0', p));
      expect(split0(r.stdout), JSON.stringify(p)).toEqual([p]);
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('as Secret arguments', () => {
    const ps = payloads(marker);
    const r = sh(exec('printf', '%s\\0', ...ps.map(secret)));
    expect(split0(r.stdout)).toEqual(ps);
    expect(existsSync(marker)).toBe(false);
  });

  it('as environment values', () => {
    for (const p of payloads(marker)) {
      const r = sh(withEnv(exec('printenv', 'V'), { V: p }));
      expect(r.stdout.toString('utf8'), JSON.stringify(p)).toBe(`${p}\n`);
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('nested in sh -c twice, the way sudo() nests a command', () => {
    const ps = payloads(marker);
    const inner = exec('printf', '%s\\0', ...ps);
    const viaSudo = render(sudo(inner));
    expect(viaSudo.startsWith('sudo -n sh -c ')).toBe(true);
    // No sudo here: run exactly what sudo would run (`sh -c '<rendered inner>'`) from the outer shell.
    const r = sh(raw(viaSudo.slice('sudo -n '.length)));
    expect(split0(r.stdout)).toEqual(ps);
    expect(existsSync(marker)).toBe(false);
  });

  it('as the program name: never runs anything else (command not found)', () => {
    for (const p of payloads(marker)) {
      if (p === '') continue;
      const r = sh(exec(p, 'arg'));
      expect(r.status, JSON.stringify(p)).not.toBe(0);
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('as redirect targets: the file gets exactly that name', () => {
    const names = payloads('M')
      .map((p) => p.replaceAll('/', '_').replaceAll('\0', ''))
      .filter((p) => p !== '' && p !== '.' && p !== '..' && Buffer.byteLength(p) < 255);
    for (const name of names) {
      const r = sh(toFile(exec('printf', 'x'), join(dir, 'out', name)));
      expect(r.status).not.toBe(0); // dir/out does not exist yet
    }
    spawnSync('mkdir', [join(dir, 'out')]);
    for (const name of names) {
      const r = sh(toFile(exec('printf', 'x'), join(dir, 'out', name)));
      expect(r.status, JSON.stringify(name)).toBe(0);
    }
    expect(readdirSync(join(dir, 'out')).sort()).toEqual([...new Set(names)].sort());
    expect(existsSync(marker)).toBe(false);
  });

  it('with redact, none of them is shown and the rendered text stays one word', () => {
    const ps = payloads(marker).filter((p) => p.length >= 4);
    const shown = render(exec('printf', '%s\\0', ...ps.map(secret)), { redact: true });
    expect(shown).toBe(`printf '%s\\0' ${ps.map(() => '[redacted]').join(' ')}`);
  });
});
