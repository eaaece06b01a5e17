// Off-site backups to an SFTP target through the built CLI: a harness sshd is the infrakt server, a second one is the
// SFTP host. Postgres: backup --target → data and local backups destroyed → restore --from-target → rows equal;
// a wrong repository password fails clearly; retention leaves exactly the kept snapshots; a corrupted pack is found
// by `backup-target verify`; the repository password never shows in /proc/*/cmdline, job logs or the state files.
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, shouldRunDockerTests } from '../harness/docker.js';
import { type SshdHost, startSshd } from '../harness/sshd.js';
import { filesContaining, tempDir } from '../helpers/state.js';
import { cmdlineSampler, type DbEnv, dbEnv } from './db-harness.js';

const runIt = await shouldRunDockerTests();

interface Job<R> {
  id: string;
  status: string;
  result: R;
  error: { code: string; message: string; hint?: string } | null;
}
interface Snap {
  id: string;
  time: string;
  tags: string[] | null;
  hostname: string;
}

describe.skipIf(!runIt)('backup targets: SFTP', () => {
  let env: DbEnv;
  let sftp: SshdHost;
  let repoDir: string;
  let name: string;
  let url: string;
  let password = '';
  const sampler = cmdlineSampler();
  const timings: Record<string, number> = {};

  const psql = async (sql: string) => {
    const u = new URL(url);
    const r = await run('psql', ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
      env: {
        ...process.env,
        PGHOST: u.hostname,
        PGPORT: u.port,
        PGUSER: 'postgres',
        PGPASSWORD: decodeURIComponent(u.password),
        PGDATABASE: name,
        PGCONNECT_TIMEOUT: '5',
      },
    });
    return r.stdout.trim();
  };
  const fingerprint = () =>
    psql("SELECT count(*) || ':' || md5(string_agg(id || '=' || v, ',' ORDER BY id)) FROM items");
  /** restic on this machine, straight at the repository directory the SFTP host serves. */
  const restic = (args: string[], input?: string) =>
    run('restic', ['-r', repoDir, ...args], {
      env: { ...process.env, RESTIC_PASSWORD: password, RESTIC_CACHE_DIR: join(env.home, 'restic-cache') },
      ...(input ? { input } : {}),
    });
  const snapshots = async () =>
    (JSON.parse((await restic(['snapshots', '--json', '--tag', `db:${name}`])).stdout) as Snap[]).map((s) => s.id);

  beforeAll(async () => {
    env = await dbEnv(['postgres']);
    sftp = await startSshd();
    repoDir = join(sftp.root, 'restic', 'repo');
    name = `${env.prefix}-pg`;
  }, 300_000);

  afterAll(async () => {
    sampler.stop();
    await env?.cli(['db', 'destroy', name, '--server', env.server, '--force']).catch(() => undefined);
    await sftp?.stop();
    await env?.close();
    process.stdout.write(`backup-target-sftp timings (ms): ${JSON.stringify(timings)}\n`);
  }, 120_000);

  it('adds an SFTP target and says once how to recover the repository password', async () => {
    const r = await env.ok([
      'backup-target',
      'add',
      'offsite',
      '--sftp',
      `root@127.0.0.1:${sftp.port}:${repoDir}`,
      '--key',
      sftp.keyPath,
    ]);
    expect(r.stdout).toContain('infrakt backup-target password offsite');
    expect(r.stdout).toMatch(/master\.key/);
    password = (await env.ok(['backup-target', 'password', 'offsite'])).stdout.trim();
    expect(password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const t0 = Date.now();
    const test = await env.json<Job<{ snapshots: number; hostKeyFingerprint: string }>>([
      'backup-target',
      'test',
      'offsite',
    ]);
    timings.test = Date.now() - t0;
    expect(test.result.snapshots).toBe(0);
    // Pinned on first contact, and it is the SFTP host's real key.
    expect(test.result.hostKeyFingerprint).toBe(sftp.fingerprint);
    const [listed] = await env.json<{ name: string; hostKeyFingerprint: string; lastCheck: { status: string } }[]>([
      'backup-target',
      'list',
    ]);
    expect(listed).toMatchObject({
      name: 'offsite',
      hostKeyFingerprint: sftp.fingerprint,
      lastCheck: { status: 'ok' },
    });
    expect(statSync(join(repoDir, 'config')).isFile()).toBe(true);
  }, 300_000);

  it('backs up to the target, loses data and local backups, restores from the target: rows equal', async () => {
    const db = await env.json<{ connectionString: string }>([
      'db',
      'create',
      '--server',
      env.server,
      '--name',
      name,
      '--type',
      'postgres',
      '--version',
      '15',
    ]);
    url = db.connectionString;
    await psql('CREATE TABLE items (id int PRIMARY KEY, v text)');
    await psql('INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 2000) g');
    const before = await fingerprint();

    let t0 = Date.now();
    const job = await env.json<Job<{ file: string; size: number; offsite: { snapshotId: string } }>>([
      'db',
      'backup',
      name,
      '--target',
      'offsite',
    ]);
    timings.backupWithPush = Date.now() - t0;
    expect(job.status).toBe('succeeded');
    expect(await snapshots()).toEqual([expect.stringMatching(new RegExp(`^${job.result.offsite.snapshotId}`))]);
    // The credentials were on the server for the run only.
    expect(readdirSync(join(env.host.root, 'backups', '.restic-run'))).toEqual([]);

    await psql('DROP TABLE items');
    const localDir = join(env.host.root, 'backups', name);
    for (const f of readdirSync(localDir)) if (/^\d{8}T/.test(f)) rmSync(join(localDir, f));
    t0 = Date.now();
    const restored = await env.ok(['db', 'restore', name, '--from-target', 'offsite', '--force']);
    timings.restoreFromTarget = Date.now() - t0;
    expect(restored.stdout).toContain(`restored ${job.result.file}`);
    expect(await fingerprint()).toBe(before);

    const list = await env.json<{ name: string; lastOffsiteBackup: { status: string; target: string } }[]>([
      'db',
      'list',
    ]);
    expect(list[0]?.lastOffsiteBackup).toMatchObject({ status: 'ok', target: 'offsite' });
  }, 300_000);

  it('fails clearly with a wrong repository password, and records the failure', async () => {
    const pwFile = join(tempDir(), 'wrong-password');
    writeFileSync(pwFile, 'definitely-not-the-password\n', { mode: 0o600 });
    await env.ok([
      'backup-target',
      'add',
      'wrongpw',
      '--sftp',
      `root@127.0.0.1:${sftp.port}:${repoDir}`,
      '--key',
      sftp.keyPath,
      '--repo-password-file',
      pwFile,
    ]);
    const r = await env.cli(['db', 'backup', name, '--target', 'wrongpw']);
    expect(r.code).toBe(20);
    expect(r.stderr).toMatch(/repository password of target wrongpw .* is wrong/);
    expect(r.stderr).toMatch(/--repo-password-file/);
    const list = await env.json<{ lastOffsiteBackup: { status: string; target: string } }[]>(['db', 'list']);
    expect(list[0]?.lastOffsiteBackup).toMatchObject({ status: 'failed', target: 'wrongpw' });
    await env.ok(['backup-target', 'remove', 'wrongpw', '--force']);
  }, 300_000);

  it('retention (--keep-daily 2) leaves exactly the newest snapshot of today and of the newest older day', async () => {
    const today = (await snapshots())[0]!;
    // Three older days, as a schedule would have left them (same host and tags as infrakt's own snapshots).
    const older: string[] = [];
    for (const day of ['2026-01-01', '2026-01-02', '2026-01-03']) {
      const r = await restic(
        [
          'backup',
          '--json',
          '--host',
          env.server,
          '--tag',
          'infrakt',
          '--tag',
          `db:${name}`,
          '--time',
          `${day} 03:00:00`,
          '--stdin',
          '--stdin-filename',
          `${day}.dump`,
        ],
        `old dump of ${day}`,
      );
      older.push(/"snapshot_id":"([0-9a-f]+)"/.exec(r.stdout)![1]!);
    }
    expect(await snapshots()).toHaveLength(4);
    const job = await env.json<Job<{ offsite: { snapshotId: string; forgotten: string[] } }>>([
      'db',
      'backup',
      name,
      '--target',
      'offsite',
      '--keep-daily',
      '2',
    ]);
    const kept = await snapshots();
    expect(kept).toHaveLength(2);
    expect(kept.some((id) => id.startsWith(job.result.offsite.snapshotId))).toBe(true);
    expect(kept.some((id) => id.startsWith(older[2]!))).toBe(true);
    const forgotten = job.result.offsite.forgotten;
    expect(forgotten).toHaveLength(3);
    for (const id of [today, older[0]!, older[1]!])
      expect(forgotten.some((f) => f.startsWith(id.slice(0, 8)))).toBe(true);
  }, 300_000);

  it('verify passes on the intact repository and detects a corrupted data pack', async () => {
    const ok = await env.json<Job<{ readDataSubset: string }>>([
      'backup-target',
      'verify',
      'offsite',
      '--read-data-subset',
      '100%',
    ]);
    expect(ok.status).toBe('succeeded');
    // Flip one byte in the middle of the largest data pack (same size: only reading the data can tell).
    const packs: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true }))
        e.isDirectory() ? walk(join(d, e.name)) : packs.push(join(d, e.name));
    };
    walk(join(repoDir, 'data'));
    const largest = packs.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
    const bytes = readFileSync(largest);
    const mid = Math.floor(bytes.length / 2);
    bytes[mid] = (bytes[mid] ?? 0) ^ 0xff;
    writeFileSync(largest, bytes);
    const bad = await env.cli(['backup-target', 'verify', 'offsite', '--read-data-subset', '100%']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/restic check found problems in target offsite/);
    const [listed] = await env.json<{ lastCheck: { kind: string; status: string } }[]>(['backup-target', 'list']);
    expect(listed?.lastCheck).toMatchObject({ kind: 'verify', status: 'failed' });
  }, 300_000);

  it('never showed the repository password on a command line, in job logs or in the state files', async () => {
    expect(sampler.samples()).toBeGreaterThan(50);
    expect(sampler.hits(password)).toEqual([]);
    const jobs = JSON.parse((await env.ok(['job', 'list', '--json', '--limit', '50'])).stdout) as { id: string }[];
    expect(jobs.length).toBeGreaterThan(5);
    for (const j of jobs) expect((await env.ok(['job', 'logs', j.id])).stdout).not.toContain(password);
    expect(filesContaining(env.home, password)).toEqual([]);
    // The SSH private key was delivered as a file and removed: nothing of it left on the server.
    const key = readFileSync(sftp.keyPath, 'utf8').split('\n')[1]!;
    expect(filesContaining(join(env.host.root, 'backups'), key)).toEqual([]);
    expect(sampler.hits(key)).toEqual([]);
    expect(filesContaining(env.home, key)).toEqual([]);
  });
});
