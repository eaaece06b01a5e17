// Backup targets against a real SQLite store: locations parsed with allowlists, bad input changes nothing, the
// credentials and the generated repository password are sealed (no plaintext in any state file), a target used by
// a schedule can't be removed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InfraktError } from '../../src/core/errors.js';
import { parseRetention, parseS3Spec, parseSftpSpec } from '../../src/core/schemas/backup-target.js';
import { Secret } from '../../src/core/secret.js';
import {
  addTarget,
  getTarget,
  keyFingerprint,
  listTargets,
  removeTarget,
  resolveTarget,
  revealRepoPassword,
} from '../../src/services/backup-targets/targets.js';
import { filesContaining, openTestState, removeDir, type TestState, tempDir } from '../helpers/state.js';

const KEY =
  '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ-UNIQUE-KEY-BODY\n-----END OPENSSH PRIVATE KEY-----\n';

function code(e: unknown): string {
  return e instanceof InfraktError ? e.code : String(e);
}

describe('location specs', () => {
  it('SFTP: user@host[:port]:path', () => {
    expect(parseSftpSpec('backup@nas.example.com:/srv/restic')).toEqual({
      user: 'backup',
      host: 'nas.example.com',
      port: 22,
      path: '/srv/restic',
    });
    expect(parseSftpSpec('u@10.0.0.5:2222:repos/prod')).toMatchObject({
      host: '10.0.0.5',
      port: 2222,
      path: 'repos/prod',
    });
    expect(parseSftpSpec('u@[::1]:2222:/r')).toMatchObject({ host: '::1', port: 2222 });
  });

  it.each([
    'nas:/srv',
    'u@nas',
    'u@nas:/srv/../etc',
    'u@nas:/srv/$(touch x)',
    "u@nas:/a'b",
    'u@nas:/a b',
    'u;x@nas:/a',
    'u@-oProxyCommand=x:/a',
    'u@nas:99999:/a',
  ])('SFTP rejects %s', (spec) => {
    expect(() => parseSftpSpec(spec)).toThrow(InfraktError);
  });

  it('S3: https endpoint, bucket, prefix', () => {
    expect(parseS3Spec('https://s3.eu.example.com/bkt/infrakt/prod/')).toEqual({
      endpoint: 'https://s3.eu.example.com',
      bucket: 'bkt',
      prefix: 'infrakt/prod',
    });
    expect(parseS3Spec('https://127.0.0.1:9000/bkt')).toEqual({
      endpoint: 'https://127.0.0.1:9000',
      bucket: 'bkt',
      prefix: '',
    });
    expect(parseS3Spec('http://minio.lan:9000/bkt', true).endpoint).toBe('http://minio.lan:9000');
  });

  it.each([
    'http://s3.example.com/bkt',
    'ftp://s3.example.com/bkt',
    'https://key:secret@s3.example.com/bkt',
    'https://s3.example.com/bkt?x=1',
    'https://s3.example.com/',
    'https://s3.example.com/Bad_Bucket',
    'https://s3.example.com/bkt/../x',
    'not a url',
  ])('S3 rejects %s', (spec) => {
    expect(() => parseS3Spec(spec)).toThrow(InfraktError);
  });

  it('retention: whole numbers of at least 1, or none', () => {
    expect(parseRetention({})).toBeNull();
    expect(parseRetention({ daily: 7, monthly: 12 })).toEqual({ daily: 7, monthly: 12 });
    expect(() => parseRetention({ weekly: 0 })).toThrow(/--keep-weekly/);
    expect(() => parseRetention({ daily: 1.5 })).toThrow(/--keep-daily/);
  });
});

describe('targets in the local state', () => {
  let dir: string;
  let state: TestState;
  beforeEach(() => {
    dir = tempDir();
    state = openTestState(`${dir}/home`);
  });
  afterEach(async () => {
    await state.close();
    removeDir(dir);
  });

  it('adds an SFTP target: a generated 256-bit password, key sealed, nothing in clear on disk', async () => {
    const r = await addTarget(state.ctx, {
      name: 'nas',
      sftp: 'backup@nas.example.com:2222:/srv/r',
      sshKey: new Secret(KEY),
    });
    expect(r.passwordGenerated).toBe(true);
    expect(r.target).toMatchObject({
      name: 'nas',
      kind: 'sftp',
      location: 'sftp:backup@nas.example.com:2222:/srv/r',
      hostKeyFingerprint: null,
      hasKey: true,
    });
    const pw = (await revealRepoPassword(state.ctx, 'nas')).reveal();
    expect(pw).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const t = await resolveTarget(state.ctx, 'nas');
    expect(t.secrets().sshKey?.reveal()).toBe(KEY);
    expect(JSON.stringify(await listTargets(state.ctx))).not.toContain('UNIQUE-KEY-BODY');
    expect(filesContaining(state.paths.home, pw)).toEqual([]);
    expect(filesContaining(state.paths.home, 'UNIQUE-KEY-BODY')).toEqual([]);
  });

  it('adds an S3 target with the secret; the secret sealed under this target only', async () => {
    const secret = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY';
    await addTarget(state.ctx, {
      name: 'b2',
      s3: 'https://s3.example.com/bkt/p',
      accessKeyId: 'AKIAEXAMPLE',
      secretAccessKey: new Secret(secret),
      repoPassword: new Secret('an existing repository password'),
    });
    const v = await getTarget(state.ctx, 'b2');
    expect(v).toMatchObject({ kind: 's3', accessKeyId: 'AKIAEXAMPLE', location: 's3:https://s3.example.com/bkt/p' });
    expect(filesContaining(state.paths.home, secret)).toEqual([]);
    expect((await revealRepoPassword(state.ctx, 'b2')).reveal()).toBe('an existing repository password');
    // A sealed value copied to another target's row does not open there (the AAD names the target).
    await addTarget(state.ctx, { name: 'other', sftp: 'u@h:/r' });
    const sealed = state.ctx.store
      .raw!.prepare("SELECT secrets_enc FROM backup_targets WHERE name = 'b2'")
      .pluck()
      .get();
    state.ctx.store.raw!.prepare("UPDATE backup_targets SET secrets_enc = ? WHERE name = 'other'").run(sealed);
    await expect((async () => (await resolveTarget(state.ctx, 'other')).secrets())()).rejects.toMatchObject({
      code: 'SECRET',
    });
  });

  it.each([
    [{ name: 'x' }, /exactly one of --sftp/],
    [{ name: 'x', sftp: 'u@h:/r', s3: 'https://h/b' }, /exactly one/],
    [{ name: 'Bad Name', sftp: 'u@h:/r' }, /invalid target name/],
    [{ name: 'x', sftp: 'u@h:/r', accessKeyId: 'A' }, /are for --s3/],
    [{ name: 'x', sftp: 'u@h:/r', sshKey: new Secret('not a key') }, /private key/],
    [{ name: 'x', sftp: 'u@h:/r', sshKey: new Secret(`${KEY}Proc-Type: 4,ENCRYPTED`) }, /passphrase/],
    [{ name: 'x', sftp: 'u@h:/r', fingerprint: 'MD5:aa' }, /fingerprint/],
    [{ name: 'x', s3: 'https://h/bkt' }, /--access-key-id/],
    [{ name: 'x', s3: 'https://h/bkt', accessKeyId: 'AKIA' }, /secret access key is missing/],
    [{ name: 'x', s3: 'https://h/bkt', accessKeyId: 'AKIA', secretAccessKey: new Secret('s'), caCert: 'x' }, /PEM/],
    [{ name: 'x', sftp: 'u@h:/r', repoPassword: new Secret('short') }, /at least 8/],
  ])('refuses %j and stores nothing', async (input, message) => {
    const e = await addTarget(state.ctx, input as Parameters<typeof addTarget>[1]).catch((x: unknown) => x);
    expect(code(e)).toBe('VALIDATION');
    expect((e as Error).message).toMatch(message);
    expect(await listTargets(state.ctx)).toEqual([]);
  });

  it('refuses a duplicate name, and removing a target a schedule pushes to', async () => {
    await addTarget(state.ctx, { name: 'nas', sftp: 'u@h:/r' });
    expect(code(await addTarget(state.ctx, { name: 'nas', sftp: 'u@h:/r2' }).catch((x: unknown) => x))).toBe(
      'CONFLICT',
    );
    const now = '2026-01-01T00:00:00Z';
    const s = await state.ctx.store.db
      .insertInto('servers')
      .values({
        name: 's1',
        host: 'h',
        port: 22,
        user: 'root',
        key_path: null,
        provider: null,
        root_dir: '/opt/infrakt',
        status: 'active',
        host_key_fingerprint: null,
        host_key: null,
        settings_json: '{}',
        last_checked_at: null,
        last_error: null,
        created_at: now,
        updated_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const schedule = {
      cron: '0 3 * * *',
      onCalendar: '*-*-* 03:00:00',
      keep: 7,
      mechanism: 'systemd',
      unit: 'u',
      target: 'nas',
    };
    await state.ctx.store.db
      .insertInto('apps')
      .values({
        server_id: s.id,
        name: 'shop',
        app_type: 'db:mariadb',
        domain: null,
        port: 3306,
        git_repo: null,
        branch: null,
        image: 'mariadb:10.11',
        status: 'running',
        settings_json: JSON.stringify({ db: { type: 'mariadb', schedule } }),
        current_release: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    const e = await removeTarget(state.ctx, 'nas').catch((x: unknown) => x);
    expect(code(e)).toBe('CONFLICT');
    expect((e as Error).message).toContain('s1/shop');
    expect(await listTargets(state.ctx)).toHaveLength(1);
    await state.ctx.store.db.deleteFrom('apps').execute();
    expect(await removeTarget(state.ctx, 'nas')).toEqual({ name: 'nas', location: 'sftp:u@h:/r' });
    expect(code(await getTarget(state.ctx, 'nas').catch((x: unknown) => x))).toBe('NOT_FOUND');
  });

  it('fingerprints a key line as ssh-keygen does', () => {
    // SHA256 of the decoded blob, base64 without padding (here the blob is the bytes of "hello").
    const blob = Buffer.from('hello').toString('base64');
    expect(keyFingerprint(`ssh-ed25519 ${blob}`)).toBe('SHA256:LPJNul+wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ');
  });
});
