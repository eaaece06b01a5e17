// The provisioning check scripts run through a real /bin/sh, with fake `docker`, `ss` and
// `dpkg-query` on PATH where the real tools would need a provisioned host.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Cmd, render } from '../../src/core/cmd/index.js';
import * as apt from '../../src/core/commands/apt.js';
import * as os from '../../src/core/commands/os.js';
import { removeDir, tempDir } from '../helpers/state.js';

const dir = tempDir('ikt-test-prov-');
const bin = join(dir, 'bin');
mkdirSync(bin);
afterAll(() => removeDir(dir));

function fake(name: string, script: string) {
  writeFileSync(join(bin, name), `#!/bin/sh\n${script}\n`);
  chmodSync(join(bin, name), 0o755);
}

function sh(cmd: Cmd, stdin?: string) {
  const r = spawnSync('/bin/sh', ['-c', render(cmd)], {
    input: stdin ?? '',
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
  return { code: r.status, out: r.stdout.trim() };
}

describe('allInstalled', () => {
  it('exit 0 when every package is "ii", else names the missing ones', () => {
    fake('dpkg-query', 'for a; do :; done; case $a in caddy|ufw) printf "ii ";; *) exit 1;; esac');
    expect(sh(apt.allInstalled(['caddy', 'ufw']))).toEqual({ code: 0, out: '' });
    expect(sh(apt.allInstalled(['caddy', 'fail2ban', 'python3-systemd']))).toEqual({
      code: 1,
      out: 'missing: fail2ban python3-systemd',
    });
  });
});

describe('dirsMatch', () => {
  const me = userInfo().username;
  const group = spawnSync('id', ['-gn'], { encoding: 'utf8' }).stdout.trim();
  it('checks existence, owner, group and mode; reports the first mismatch', () => {
    const a = join(dir, 'a');
    mkdirSync(a, { mode: 0o750 });
    chmodSync(a, 0o750);
    expect(sh(os.dirsMatch([{ path: a, owner: me, group, mode: '750' }])).code).toBe(0);
    expect(sh(os.dirsMatch([{ path: a, owner: me, group, mode: '700' }]))).toEqual({
      code: 1,
      out: `${a}: ${me}:${group}:750, want ${me}:${group}:700`,
    });
    expect(sh(os.dirsMatch([{ path: join(dir, 'nope'), owner: me, group, mode: '700' }])).out).toContain('absent');
  });
  it('a hostile path is data, not code', () => {
    const mark = join(dir, 'MARK');
    const evil = join(dir, `x$(touch ${mark})\`touch ${mark}\`;touch ${mark}'`);
    expect(sh(os.dirsMatch([{ path: evil, owner: me, group, mode: '755' }])).code).toBe(1);
    expect(existsSync(mark)).toBe(false);
  });
});

describe('files', () => {
  it('writeIfMissing writes once, never over an existing file', () => {
    const f = join(dir, 'Caddyfile');
    expect(sh(os.writeIfMissing(f, '0644'), 'first\n').code).toBe(0);
    expect(sh(os.writeIfMissing(f, '0644'), 'second\n').code).toBe(0);
    expect(readFileSync(f, 'utf8')).toBe('first\n');
  });
  it('fileMatches compares stdin', () => {
    const f = join(dir, 'daemon.json');
    writeFileSync(f, '{}\n');
    expect(sh(os.fileMatches(f), '{}\n').code).toBe(0);
    expect(sh(os.fileMatches(f), '{"x":1}\n').code).toBe(1);
    expect(sh(os.fileMatches(join(dir, 'missing.json')), '{}\n').code).not.toBe(0);
  });
  it('keepOriginal keeps the first original only', () => {
    const f = join(dir, 'conf');
    expect(sh(os.keepOriginal(f)).code).toBe(0);
    expect(existsSync(`${f}.infrakt-orig`)).toBe(false);
    writeFileSync(f, 'theirs');
    expect(sh(os.keepOriginal(f)).code).toBe(0);
    writeFileSync(f, 'ours');
    expect(sh(os.keepOriginal(f)).code).toBe(0);
    expect(readFileSync(`${f}.infrakt-orig`, 'utf8')).toBe('theirs');
  });
});

describe('exposure', () => {
  it('a Docker port published on a public address fails the check (exit 3); loopback is fine', () => {
    fake(
      'docker',
      `printf '%s\\n' 'web=0.0.0.0:8080->80/tcp, :::8080->80/tcp' 'db=127.0.0.1:5432->5432/tcp' 'proxy=0.0.0.0:443->443/tcp' 'worker='`,
    );
    fake('ss', "printf '%s\\n' 'tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:*' 'tcp LISTEN 0 4096 127.0.0.1:2019 0.0.0.0:*'");
    const r = sh(os.exposure([22, 80, 443]));
    expect(r.code).toBe(os.EXPOSED_EXIT);
    expect(r.out.split('\n')).toEqual([
      'exposed: 0.0.0.0:8080 published by container web (Docker bypasses ufw)',
      'exposed: :::8080 published by container web (Docker bypasses ufw)',
    ]);
  });
  it('other public listeners are reported (ufw drops them), without failing', () => {
    fake('docker', "printf '%s\\n' 'db=127.0.0.1:5432->5432/tcp'");
    fake(
      'ss',
      "printf '%s\\n' 'tcp LISTEN 0 128 0.0.0.0:22 0.0.0.0:*' 'tcp LISTEN 0 5 0.0.0.0:8081 0.0.0.0:*' 'udp UNCONN 0 0 [::1]:323 [::]:*' 'tcp LISTEN 0 5 [::]:443 [::]:*'",
    );
    expect(sh(os.exposure([22, 80, 443]))).toEqual({
      code: 0,
      out: 'listening: tcp 0.0.0.0:8081 (not allowed by ufw)',
    });
  });
});
