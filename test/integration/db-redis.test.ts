// Redis through the built CLI: create → SET with the printed string → verified backup (BGSAVE + LASTSAVE) →
// FLUSHALL → restore → GET; and the schedule path where systemd is not PID 1 (harness server): an /etc/cron.d
// entry whose command, run as cron would run it, takes verified backups, prunes to --keep, and reports a
// failed run in `db list`.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, run, shouldRunDockerTests } from '../harness/docker.js';
import { filesContaining } from '../helpers/state.js';
import { cmdlineSampler, type DbEnv, dbEnv } from './db-harness.js';

const runIt = await shouldRunDockerTests();

interface Created {
  name: string;
  port: number;
  connectionString: string;
}
interface JobRecord {
  id: string;
  status: string;
  result: { file: string; size: number; ms: number; schedule?: { unit: string; mechanism: string } };
  steps: { name: string; startedAt: string | null; finishedAt: string | null }[];
}

/** Installs Debian's cron package when missing (its daemon is not started: policy-rc.d / no init here). */
async function ensureCronPackage(): Promise<void> {
  if (existsSync('/usr/sbin/cron')) return;
  await run('apt-get', ['install', '-y', '--no-install-recommends', 'cron'], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeoutMs: 300_000,
  });
}

describe.skipIf(!runIt)('db: redis through the CLI, and the cron schedule', () => {
  let env: DbEnv;
  let db: Created;
  let name: string;
  let cronFile = '';
  const sampler = cmdlineSampler();
  const timings: Record<string, number> = {};

  const redis = async (...args: string[]) => {
    const u = new URL(db.connectionString);
    const r = await run('redis-cli', ['-h', u.hostname, '-p', u.port, '--no-auth-warning', ...args], {
      env: { ...process.env, REDISCLI_AUTH: decodeURIComponent(u.password) },
    });
    return r.stdout.trim();
  };

  beforeAll(async () => {
    env = await dbEnv(['redis']);
    name = `${env.prefix}-cache`;
  }, 300_000);

  afterAll(async () => {
    sampler.stop();
    await env?.cli(['db', 'destroy', name, '--server', env.server, '--force']).catch(() => undefined);
    if (cronFile) await run('rm', ['-f', cronFile], { check: false });
    await env?.close();
    process.stdout.write(`db-redis timings (ms): ${JSON.stringify(timings)}\n`);
  }, 120_000);

  it('create → SET → backup → FLUSHALL → restore → GET', async () => {
    let t0 = Date.now();
    db = await env.json<Created>([
      'db',
      'create',
      '--server',
      env.server,
      '--name',
      name,
      '--type',
      'redis',
      '--version',
      '7',
    ]);
    timings.create = Date.now() - t0;
    expect(db.connectionString).toMatch(new RegExp(`^redis://:[A-Za-z0-9_-]{32}@127\\.0\\.0\\.1:${db.port}/0$`));
    // Without the password the server refuses.
    const anon = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(db.port), 'GET', 'x'], { check: false });
    expect(anon.stdout + anon.stderr).toMatch(/NOAUTH|Authentication required/);
    expect(await redis('SET', 'greeting', 'hello from infrakt')).toBe('OK');
    expect(await redis('RPUSH', 'list', 'a', 'b', 'c')).toBe('3');

    t0 = Date.now();
    const job = await env.json<JobRecord>(['db', 'backup', name]);
    timings.backup = Date.now() - t0;
    expect(job.status).toBe('succeeded');
    expect(job.result.file).toMatch(/^\d{8}T\d{6}Z\.rdb\.gz$/);

    expect(await redis('FLUSHALL')).toBe('OK');
    expect(await redis('GET', 'greeting')).toBe('');
    t0 = Date.now();
    await env.ok(['db', 'restore', name, job.result.file, '--force']);
    timings.restore = Date.now() - t0;
    expect(await redis('GET', 'greeting')).toBe('hello from infrakt');
    expect(await redis('LRANGE', 'list', '0', '-1')).toBe('a\nb\nc');
    const ps = await run('ps', ['-eww', '-o', 'args']);
    const password = new URL(db.connectionString).password;
    expect(ps.stdout).not.toContain(password);
    expect(sampler.hits(password)).toEqual([]);
  }, 300_000);

  it('schedules through /etc/cron.d (no systemd here), prunes to --keep, shows a failed run in db list', async () => {
    await ensureCronPackage();
    const bad = await env.cli(['db', 'backup', name, '--schedule', '0 3 1 * mon', '--keep', '2']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/either.*both/);
    const job = await env.json<JobRecord>(['db', 'backup', name, '--schedule', '*/5 * * * *', '--keep', '2']);
    expect(job.status).toBe('succeeded');
    expect(job.result.schedule?.mechanism).toBe('cron');
    cronFile = `/etc/cron.d/${job.result.schedule?.unit}`;
    const line = readFileSync(cronFile, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('*/5 '));
    expect(line).toBe(
      `*/5 * * * * root /bin/sh ${env.host.root}/backups/${name}/backup.sh schedule 2 >>${env.host.root}/backups/${name}/cron.log 2>&1`,
    );
    // What cron would run (no cron daemon runs on this shared machine): the entry's command, three times.
    const command = line!.split(' root ')[1]!;
    for (let i = 0; i < 3; i++) await run('sh', ['-c', command]);
    const dir = `${env.host.root}/backups/${name}`;
    const kept = readdirSync(dir).filter((f) => /^\d{8}T\d{6}Z\.rdb\.gz$/.test(f));
    expect(kept).toHaveLength(2);
    let list = await env.json<{ name: string; lastScheduledBackup: { status: string } }[]>(['db', 'list']);
    expect(list[0]?.lastScheduledBackup.status).toBe('ok');
    const backups = await env.json<{ lastScheduled: { status: string }; backups: unknown[] }>(['db', 'backups', name]);
    expect(backups.lastScheduled.status).toBe('ok');
    expect(backups.backups).toHaveLength(2);

    await docker(['stop', name]);
    try {
      const failed = await run('sh', ['-c', command], { check: false });
      expect(failed.code).not.toBe(0);
      list = await env.json(['db', 'list']);
      expect(list[0]?.lastScheduledBackup).toMatchObject({
        status: 'failed',
        message: 'the database container is not running',
      });
      const human = await env.ok(['db', 'list']);
      expect(human.stdout).toMatch(/failed .*not running/);
    } finally {
      await docker(['start', name]);
    }
    expect(readdirSync(dir).filter((f) => f.startsWith('.partial'))).toEqual([]);

    await env.ok(['db', 'backup', name, '--unschedule']);
    expect(existsSync(cronFile)).toBe(false);
  }, 300_000);

  it('--save-to-env stores the in-network connection string encrypted in the app, and prints none', async () => {
    await env.ok(['app', 'create', '--server', env.server, '--name', 'web', '--image', 'infrakt-test/web:1']);
    const kv = `${env.prefix}-kv`;
    const r = await env.ok([
      'db',
      'create',
      '--server',
      env.server,
      '--name',
      kv,
      '--type',
      'redis',
      '--version',
      '7',
      '--save-to-env',
      'web',
    ]);
    expect(r.stdout).toContain('saved (encrypted) as REDIS_URL of app web');
    expect(r.stdout).not.toMatch(/redis:\/\/:/);
    const got = await env.ok(['env', 'get', 'web', 'REDIS_URL']);
    const url = got.stdout.trim();
    expect(url).toMatch(new RegExp(`^redis://:[A-Za-z0-9_-]{32}@${kv}:6379/0$`));
    const password = new URL(url).password;
    // Any file of the local state (db, -wal, keys), in any common encoding.
    expect(filesContaining(env.home, password)).toEqual([]);
    // The saved password is the live one (through the published port on the server).
    const show = await env.json<{ port: number }>(['db', 'show', kv]);
    const ping = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(show.port), '--no-auth-warning', 'PING'], {
      env: { ...process.env, REDISCLI_AUTH: password },
    });
    expect(ping.stdout.trim()).toBe('PONG');
    await env.ok(['db', 'destroy', kv, '--force']);
  }, 300_000);

  it('downloads a backup and checks its sha256', async () => {
    const out = `${env.home}/dl.rdb.gz`;
    const r = await env.json<{ path: string; size: number; sha256: string }>(['db', 'backup', name, '--download', out]);
    expect(r.path).toBe(out);
    expect(readFileSync(out).length).toBe(r.size);
  }, 120_000);
});
