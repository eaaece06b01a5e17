// restic builders as a spec: the exact rendered commands, the credentials wrapper run through a real /bin/sh with a
// stand-in `restic` (the password arrives as a file, S3 keys as environment, hostile values stay data).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { render } from '../../src/core/cmd/index.js';
import * as r from '../../src/core/commands/restic.js';
import type { S3Location, SftpLocation } from '../../src/core/schemas/backup-target.js';
import { Secret } from '../../src/core/secret.js';
import { removeDir, tempDir } from '../helpers/state.js';

const sftp: SftpLocation = {
  kind: 'sftp',
  user: 'backup',
  host: 'nas.example.com',
  port: 2222,
  path: '/srv/restic',
  hostKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE'],
  fingerprint: null,
  hasKey: true,
};
const s3: S3Location = {
  kind: 's3',
  endpoint: 'https://s3.example.com',
  bucket: 'bkt',
  prefix: 'infrakt/prod',
  accessKeyId: 'AKIA123',
  region: 'eu-west-1',
  caCert: '-----BEGIN CERTIFICATE-----\n',
};
const dir = '/opt/infrakt/backups/.restic-run/ab12';

describe('repositories', () => {
  it('SFTP: ssh with the pinned known_hosts only, the key file, never a prompt', () => {
    const repo = r.resticRepo(sftp, dir, true);
    expect(repo.repository).toBe('sftp:backup@nas.example.com:/srv/restic');
    expect(render(r.restic(repo, dir, ...r.catConfig()))).toBe(
      `sh -c ${`'${r.RESTIC_WRAPPER.replaceAll("'", `'\\''`)}'`} restic ${dir} -o 'sftp.command=ssh -p 2222 -i ${dir}/ssh-key -o IdentitiesOnly=yes -o UserKnownHostsFile=${dir}/known_hosts -o GlobalKnownHostsFile=/dev/null -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=20 -o ServerAliveInterval=15 backup@nas.example.com -s sftp' -r sftp:backup@nas.example.com:/srv/restic cat config`,
    );
    expect(r.sftpCommand(sftp, dir, false)).not.toContain('-i ');
  });

  it('S3: path-style, region, the CA file; no key anywhere in argv', () => {
    const repo = r.resticRepo(s3, dir);
    expect(repo).toEqual({
      repository: 's3:https://s3.example.com/bkt/infrakt/prod',
      options: ['-o', 's3.bucket-lookup=path', '-o', 's3.region=eu-west-1', '--cacert', `${dir}/cacert.pem`],
    });
    expect(r.resticRepo({ ...s3, prefix: '', region: null, caCert: null }, dir)).toEqual({
      repository: 's3:https://s3.example.com/bkt',
      options: ['-o', 's3.bucket-lookup=path'],
    });
  });

  it('local repository: a path', () => {
    expect(r.resticRepo({ kind: 'local', path: '/opt/infrakt/backups/restic' }, dir)).toEqual({
      repository: '/opt/infrakt/backups/restic',
      options: [],
    });
  });
});

describe('subcommands', () => {
  it('backup: json, host, tags, paths after --', () => {
    expect(r.backup(['/a b', '/c'], { host: 'prod-1', tags: ['infrakt', 'db:shop'] })).toEqual([
      'backup',
      '--json',
      '--host',
      'prod-1',
      '--tag',
      'infrakt',
      '--tag',
      'db:shop',
      '--',
      '/a b',
      '/c',
    ]);
  });

  it('forget: grouped by host and tags, only the rules given, then prune', () => {
    expect(r.forget({ daily: 7, monthly: 6 }, { host: 'prod-1', tag: 'db:shop' })).toEqual([
      'forget',
      '--json',
      '--host',
      'prod-1',
      '--tag',
      'db:shop',
      '--group-by',
      'host,tags',
      '--keep-daily',
      '7',
      '--keep-monthly',
      '6',
      '--prune',
    ]);
    expect(() => r.forget({}, { host: 'h', tag: 't' })).toThrow(/at least one/);
  });

  it('check, snapshots, ls, restore, dump', () => {
    expect(r.check('10%')).toEqual(['check', '--read-data-subset', '10%']);
    expect(r.snapshots({ tag: 'app:web', host: 'h' })).toEqual([
      'snapshots',
      '--json',
      '--host',
      'h',
      '--tag',
      'app:web',
    ]);
    expect(r.snapshots()).toEqual(['snapshots', '--json']);
    expect(r.ls('abcd1234')).toEqual(['ls', '--json', 'abcd1234']);
    expect(r.restoreTo('abcd1234', '/stage', ['/v1', '/v2'])).toEqual([
      'restore',
      'abcd1234',
      '--target',
      '/stage',
      '--include',
      '/v1',
      '--include',
      '/v2',
    ]);
    const repo = r.resticRepo({ kind: 'local', path: '/r' }, dir);
    expect(render(r.dumpToFile(repo, dir, 'abcd1234', '/x/f.dump', '/stage/f.dump'))).toMatch(
      / -r \/r dump abcd1234 \/x\/f\.dump > \/stage\/f\.dump$/,
    );
  });

  it('keyscan and known_hosts', () => {
    expect(render(r.keyscan('nas', 2222))).toBe('ssh-keyscan -T 15 -p 2222 -t ed25519,ecdsa,rsa nas 2> /dev/null');
    expect(r.knownHostsFile('nas', 22, ['ssh-ed25519 AAA'])).toBe('nas ssh-ed25519 AAA\n');
    expect(r.knownHostsFile('nas', 2222, ['ssh-ed25519 AAA', 'ssh-rsa BBB'])).toBe(
      '[nas]:2222 ssh-ed25519 AAA\n[nas]:2222 ssh-rsa BBB\n',
    );
  });
});

describe('the credentials wrapper through a real /bin/sh', () => {
  const work = tempDir();
  afterAll(() => removeDir(work));
  const bin = join(work, 'bin');
  const cred = join(work, 'cred');
  mkdirSync(bin);
  mkdirSync(cred);
  // A stand-in restic: prints its argv (one per line), the password file's content and the S3 variables.
  writeFileSync(
    join(bin, 'restic'),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell parameter expansion, not a JS template
    '#!/bin/sh\nfor a in "$@"; do printf "arg:%s\\n" "$a"; done\nprintf "pw:%s\\n" "$(cat "$RESTIC_PASSWORD_FILE")"\nprintf "id:%s\\nkey:%s\\n" "${AWS_ACCESS_KEY_ID:-}" "${AWS_SECRET_ACCESS_KEY:-}"\n',
  );
  chmodSync(join(bin, 'restic'), 0o755);
  const hostile = `x'$(touch ${work}/PWNED)\`touch ${work}/PWNED2\`;"\n$HOME`;

  it('passes the password as a file and the S3 keys as sourced variables; hostile values stay data', () => {
    writeFileSync(join(cred, 'password'), `SECRET-PW${hostile}`);
    writeFileSync(join(cred, 'env'), r.s3EnvFile('AKIA;id', new Secret(`SECRET-KEY${hostile}`), null).reveal());
    const repo = r.resticRepo({ ...s3, caCert: null, region: null }, cred);
    const cmd = r.restic(repo, cred, ...r.backup([`/tmp/${hostile}`], { host: 'h', tags: ['infrakt'] }));
    const out = execFileSync('/bin/sh', ['-c', render(cmd)], {
      env: { PATH: `${bin}:/usr/bin:/bin`, HOME: '/nonexistent' },
      encoding: 'utf8',
    });
    expect(out).toContain(`arg:/tmp/${hostile}\n`);
    expect(out).toContain(`pw:SECRET-PW${hostile}\n`);
    expect(out).toContain('id:AKIA;id\n');
    expect(out).toContain(`key:SECRET-KEY${hostile}\n`);
    expect(() => readFileSync(join(work, 'PWNED'))).toThrow();
    expect(() => readFileSync(join(work, 'PWNED2'))).toThrow();
    // Nothing secret in the command text itself.
    expect(render(cmd)).not.toContain('SECRET-');
  });
});
