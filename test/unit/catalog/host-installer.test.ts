import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  exitMeaning,
  installerLayout,
  osMismatch,
  renderInstallerEnv,
  retryable,
  retryDelaySeconds,
  runScript,
} from '../../../src/core/catalog/host-installer.js';
import { render } from '../../../src/core/cmd/index.js';
import { removeDir, tempDir } from '../../helpers/state.js';

const os = (id: string, versionId: string) => ({ id, versionId, codename: '', pretty: `${id} ${versionId}` });

describe('host installer contract', () => {
  const dir = tempDir();
  afterAll(() => removeDir(dir));

  it('exit codes have meanings; only 2 is retried; backoff doubles and is capped', () => {
    expect(exitMeaning(1)).toMatch(/invalid input.*not retried/);
    expect(exitMeaning(2)).toMatch(/install error/);
    expect(exitMeaning(3)).toMatch(/manual intervention/);
    expect(exitMeaning(124)).toMatch(/timed out/);
    expect(exitMeaning(7)).toMatch(/unexpected exit code 7/);
    expect([0, 1, 2, 3, 124].map(retryable)).toEqual([false, false, true, false, false]);
    expect([1, 2, 3, 4].map((n) => retryDelaySeconds(5, n))).toEqual([5, 10, 20, 40]);
    expect(retryDelaySeconds(300, 5)).toBe(600);
  });

  it('OS requirements: family and minimum version', () => {
    const m = {
      os: [
        { id: 'debian' as const, min_version: '12' },
        { id: 'ubuntu' as const, min_version: '22.04' },
      ],
    };
    expect(osMismatch(m, os('debian', '13'))).toBeNull();
    expect(osMismatch(m, os('ubuntu', '24.04'))).toBeNull();
    expect(osMismatch(m, os('ubuntu', '20.04'))).toMatch(
      /needs debian ≥ 12 or ubuntu ≥ 22.04; the server runs ubuntu 20.04/,
    );
    expect(osMismatch(m, os('fedora', '41'))).toMatch(/needs/);
  });

  it('the env file assigns hostile values literally when sourced by a real /bin/sh (and runs nothing)', () => {
    const marker = join(dir, 'pwned');
    const values = {
      A: `$(touch ${marker})`,
      B: `it's \`touch ${marker}\`; echo`,
      C: 'line1\nline2',
      D: '',
      E: 'plain-word_1.2',
    };
    const envFile = join(dir, 'env');
    writeFileSync(envFile, renderInstallerEnv(values));
    const out = execFileSync('sh', ['-c', '. "$1"; printf "%s|" "$A" "$B" "$C" "$D" "$E"', 'sh', envFile], {
      encoding: 'utf8',
    });
    expect(out).toBe(`${values.A}|${values.B}|${values.C}||${values.E}|`);
    expect(() => execFileSync('test', ['-e', marker])).toThrow();
    expect(() => renderInstallerEnv({ 'BAD NAME': 'x' })).toThrow();
  });

  it('the wrapper: clean env, env file sourced then removed, no stdin, paths as parameters', () => {
    const l = installerLayout('/opt/infrakt', 'swapfile');
    const cmd = render(runScript(l, 'install.sh', { sudo: false }));
    expect(cmd).toContain("env -i 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' 'HOME=/root'");
    expect(cmd).toContain('</dev/null');
    expect(cmd).toContain('rm -f -- "$1"');
    expect(
      cmd.endsWith(
        'infrakt-installer /opt/infrakt/catalog/swapfile/.env /opt/infrakt/catalog/swapfile /opt/infrakt/catalog/swapfile/install.sh',
      ),
    ).toBe(true);
    expect(render(runScript(l, 'install.sh', { sudo: true }))).toMatch(/^sudo -n sh -c /);
  });

  it('runs a script through the wrapper on this machine: env visible, stdin empty, file gone', () => {
    const root = join(dir, 'root');
    const l = installerLayout(root, 'demo');
    execFileSync('mkdir', ['-p', l.dir]);
    writeFileSync(l.envFile, renderInstallerEnv({ GREETING: "hello 'world'" }), { mode: 0o600 });
    writeFileSync(l.script('install.sh'), 'echo "$GREETING"; cat; echo "stdin-done"; pwd; exit 3\n');
    let code = 0;
    let out = '';
    try {
      out = execFileSync('sh', ['-c', render(runScript(l, 'install.sh', { sudo: false }))], {
        encoding: 'utf8',
        input: 'SHOULD-NOT-BE-READ',
      });
    } catch (e) {
      code = (e as { status: number }).status;
      out = String((e as { stdout: string }).stdout);
    }
    expect(code).toBe(3);
    expect(out).toBe(`hello 'world'\nstdin-done\n${l.dir}\n`);
    expect(() => execFileSync('test', ['-e', l.envFile])).toThrow();
  });
});
