// Postgres through the built CLI on a harness sshd server and the real Docker engine: create → connect with the
// printed string → write rows → verified backup → damage the data → restore → rows equal; corrupt, missing and
// failed backups; 127.0.0.1-only port; no password in any process's command line; destroy removes everything.
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, run, shouldRunDockerTests } from '../harness/docker.js';
import { filesContaining } from '../helpers/state.js';
import { cmdlineSampler, type DbEnv, dbEnv } from './db-harness.js';

const runIt = await shouldRunDockerTests();

interface Created {
  name: string;
  port: number;
  status: string;
  connectionString: string;
  networkConnectionString: string;
}
interface JobRecord {
  id: string;
  status: string;
  result: { file: string; size: number; sha256: string; ms: number } & Record<string, unknown>;
  error: { code: string; message: string } | null;
}

describe.skipIf(!runIt)('db: postgres through the CLI', () => {
  let env: DbEnv;
  let db: Created;
  let name: string;
  const sampler = cmdlineSampler();
  const timings: Record<string, number> = {};

  /** psql on this machine with the parts of the printed connection string (password via env, not argv). */
  const psql = async (sql: string) => {
    const u = new URL(db.connectionString);
    const r = await run('psql', ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
      env: {
        ...process.env,
        PGHOST: u.hostname,
        PGPORT: u.port,
        PGUSER: decodeURIComponent(u.username),
        PGPASSWORD: decodeURIComponent(u.password),
        PGDATABASE: u.pathname.slice(1),
        PGCONNECT_TIMEOUT: '5',
      },
    });
    return r.stdout.trim();
  };
  const fingerprint = () =>
    psql("SELECT count(*) || ':' || md5(string_agg(id || '=' || v, ',' ORDER BY id)) FROM items");

  beforeAll(async () => {
    env = await dbEnv(['postgres']);
    name = `${env.prefix}-pg`;
  }, 300_000);

  afterAll(async () => {
    sampler.stop();
    // Where the time goes, per job and step (for the report).
    const jobs = await env?.cli(['job', 'list', '--json', '--limit', '20']).catch(() => null);
    if (jobs?.code === 0) {
      const recs = JSON.parse(jobs.stdout) as {
        kind: string;
        steps?: { name: string; startedAt: string | null; finishedAt: string | null }[];
      }[];
      for (const j of recs.filter((r) => r.kind.startsWith('db.')))
        process.stdout.write(
          `${j.kind}: ${(j.steps ?? []).map((st) => `${st.name}=${st.startedAt && st.finishedAt ? Date.parse(st.finishedAt) - Date.parse(st.startedAt) : '-'}ms`).join(' ')}\n`,
        );
    }
    await env?.cli(['db', 'destroy', name, '--server', env.server, '--force']).catch(() => undefined);
    await env?.close();
    process.stdout.write(`db-postgres timings (ms): ${JSON.stringify(timings)}\n`);
  }, 120_000);

  it('creates a database reachable with the printed connection string, on 127.0.0.1 only', async () => {
    const t0 = Date.now();
    db = await env.json<Created>([
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
    timings.create = Date.now() - t0;
    expect(db.status).toBe('running');
    expect(db.connectionString).toMatch(
      new RegExp(`^postgresql://postgres:[A-Za-z0-9_-]{32}@127\\.0\\.0\\.1:${db.port}/${name}$`),
    );
    expect(db.networkConnectionString).toContain(`@${name}:5432/${name}`);
    await psql('CREATE TABLE items (id int PRIMARY KEY, v text)');
    await psql("INSERT INTO items SELECT g, 'row-' || g FROM generate_series(1, 500) g");
    expect(await psql('SELECT count(*) FROM items')).toBe('500');
    // Published on 127.0.0.1 only: docker's port map and the listening sockets agree.
    const ports = (await docker(['port', name])).stdout.trim().split('\n');
    expect(ports).toEqual([`5432/tcp -> 127.0.0.1:${db.port}`]);
    const ss = (await run('ss', ['-Htln', `sport = :${db.port}`])).stdout.trim().split('\n');
    expect(ss.length).toBeGreaterThan(0);
    for (const l of ss) expect(l.split(/\s+/)[3]).toBe(`127.0.0.1:${db.port}`);
    // The password is in the 0600 .env only, not in the compose file, the local state or any job log.
    const dir = `${env.host.root}/apps/${name}`;
    const password = new URL(db.connectionString).password;
    expect(readFileSync(`${dir}/docker-compose.yml`, 'utf8')).not.toContain(password);
    expect((await run('stat', ['-c', '%a', `${dir}/.env`])).stdout.trim()).toBe('600');
    // Any file of the local state (db, -wal, keys), in any common encoding.
    expect(filesContaining(env.home, password)).toEqual([]);
    const list = await env.json<{ name: string; type: string; port: number }[]>(['db', 'list', '--server', env.server]);
    expect(list.map((d) => [d.name, d.type, d.port])).toEqual([[name, 'postgres', db.port]]);
  }, 300_000);

  it('backs up, restores after the data changed, and the rows are equal again', async () => {
    const before = await fingerprint();
    let t0 = Date.now();
    const job = await env.json<JobRecord>(['db', 'backup', name]);
    timings.backup = Date.now() - t0;
    expect(job.status).toBe('succeeded');
    const file = job.result.file;
    expect(file).toMatch(/^\d{8}T\d{6}Z\.dump$/);
    const path = `${env.host.root}/backups/${name}/${file}`;
    const side = JSON.parse(readFileSync(`${path}.json`, 'utf8')) as { size: number; sha256: string };
    expect(side.size).toBe(readFileSync(path).length);
    expect((await run('pg_restore', ['--list', path])).code).toBe(0);

    await psql('DELETE FROM items WHERE id > 250');
    await psql("UPDATE items SET v = 'changed' WHERE id < 10");
    await psql('DROP TABLE items');
    t0 = Date.now();
    const restored = await env.ok(['db', 'restore', name, file, '--force']);
    timings.restore = Date.now() - t0;
    expect(restored.stdout).toContain(`restored ${file}`);
    expect(await fingerprint()).toBe(before);

    const backups = await env.json<{ backups: { name: string; verified: boolean }[]; lastManual: { status: string } }>([
      'db',
      'backups',
      name,
    ]);
    expect(backups.backups).toEqual([expect.objectContaining({ name: file, verified: true })]);
    expect(backups.lastManual.status).toBe('ok');
  }, 300_000);

  it('refuses a corrupt, a missing and a badly named backup, changing nothing', async () => {
    const dir = `${env.host.root}/backups/${name}`;
    const [good] = (await env.json<{ backups: { name: string }[] }>(['db', 'backups', name])).backups;
    const bad = '20200101T000000Z.dump';
    const data = readFileSync(`${dir}/${good!.name}`);
    const mid = Math.floor(data.length / 2);
    data[mid] = (data[mid] ?? 0) ^ 0xff;
    await run(
      'sh',
      ['-c', 'cat >"$1" && cp "$2" "$3"', 'sh', `${dir}/${bad}`, `${dir}/${good!.name}.json`, `${dir}/${bad}.json`],
      {
        input: data,
      },
    );
    await psql("INSERT INTO items VALUES (100000, 'after')");
    const before = await fingerprint();

    const corrupt = await env.cli(['db', 'restore', name, bad, '--force']);
    expect(corrupt.code).not.toBe(0);
    expect(corrupt.stderr).toMatch(/corrupt/);
    const missing = await env.cli(['db', 'restore', name, '20200101T000001Z.dump', '--force']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/not found/);
    const invalid = await env.cli(['db', 'restore', name, '../../etc/passwd', '--force']);
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toMatch(/not a backup file name/);
    expect(await fingerprint()).toBe(before);
  }, 300_000);

  it('a backup of a stopped database fails (never "succeeded") and leaves no file', async () => {
    const dir = `${env.host.root}/backups/${name}`;
    const filesBefore = readdirNames(dir);
    await docker(['stop', name]);
    try {
      const r = await env.cli(['db', 'backup', name, '--json']);
      expect(r.code).not.toBe(0);
      // --json on failure: the error as JSON, naming the job that recorded it.
      const { error } = JSON.parse(r.stdout) as { error: { message: string; jobId: string } };
      expect(error.message).toMatch(/not running/);
      const rec = await env.json<JobRecord>(['job', 'show', error.jobId]);
      expect(rec.status).toBe('failed');
      expect(rec.error?.message).toMatch(/not running/);
      expect(readdirNames(dir)).toEqual(filesBefore);
      const list = await env.json<{ lastManual: { status: string; message: string } }>(['db', 'backups', name]);
      expect(list.lastManual).toMatchObject({ status: 'failed', message: 'the database container is not running' });
    } finally {
      await docker(['start', name]);
    }
  }, 300_000);

  it('never put the password on a command line (sampled /proc/*/cmdline and ps)', async () => {
    const password = new URL(db.connectionString).password;
    const ps = await run('ps', ['-eww', '-o', 'args']);
    expect(ps.stdout).not.toContain(password);
    expect(sampler.samples()).toBeGreaterThan(50);
    expect(sampler.hits(password)).toEqual([]);
    // Job logs and records are redacted.
    const jobs = await env.ok(['job', 'list', '--json', '--limit', '50']);
    expect(jobs.stdout).not.toContain(password);
  });

  it('destroys the database: container and volume gone, backups kept', async () => {
    await env.ok(['db', 'destroy', name, '--server', env.server, '--force']);
    expect((await docker(['ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.Names}}'])).stdout.trim()).toBe('');
    expect((await docker(['volume', 'ls', '-q', '--filter', `name=${name}`])).stdout.trim()).toBe('');
    expect(readdirNames(`${env.host.root}/backups/${name}`).some((f) => f.endsWith('.dump'))).toBe(true);
    const list = await env.json<unknown[]>(['db', 'list']);
    expect(list).toEqual([]);
  }, 120_000);
});

function readdirNames(dir: string): string[] {
  return readdirSync(dir).sort();
}
