// MariaDB for real: Debian's MariaDB 10.11 as `mariadb:10.11` (built locally, never pulled) through the built CLI on a
// harness sshd server: create → write → verified backup (mysqldump --single-transaction, i.e. mariadb-dump) →
// damage → restore → rows equal; the password never on a command line.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, run, shouldRunDockerTests } from '../harness/docker.js';
import { filesContaining } from '../helpers/state.js';
import { cmdlineSampler, type DbEnv, dbEnv } from './db-harness.js';
import { mariadbClient } from './mariadb-client.js';

const runIt = await shouldRunDockerTests();

describe.skipIf(!runIt)('db: mariadb through the CLI', () => {
  let env: DbEnv;
  let name: string;
  let url = '';
  const db = mariadbClient(() => url);
  const sampler = cmdlineSampler();
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    env = await dbEnv(['mariadb']);
    name = `${env.prefix}-maria`;
  }, 300_000);

  afterAll(async () => {
    sampler.stop();
    await env?.cli(['db', 'destroy', name, '--server', env.server, '--force']).catch(() => undefined);
    await env?.close();
    process.stdout.write(`db-mariadb timings (ms): ${JSON.stringify(timings)}\n`);
  }, 120_000);

  it('creates mariadb:10.11 (the default version) on 127.0.0.1 only', async () => {
    const t0 = Date.now();
    const created = await env.json<{
      type: string;
      version: string;
      image: string;
      port: number;
      connectionString: string;
    }>(['db', 'create', '--server', env.server, '--name', name, '--type', 'mariadb']);
    timings.create = Date.now() - t0;
    url = created.connectionString;
    expect(created).toMatchObject({ type: 'mariadb', version: '10.11', image: 'mariadb:10.11' });
    expect(url).toMatch(new RegExp(`^mysql://root:[A-Za-z0-9_-]{32}@127\\.0\\.0\\.1:${created.port}/${name}$`));
    expect((await docker(['port', name])).stdout.trim()).toBe(`3306/tcp -> 127.0.0.1:${created.port}`);
    expect(await db.sql('SELECT VERSION()')).toMatch(/^10\.11\./);
    const env0 = readFileSync(`${env.host.root}/apps/${name}/.env`, 'utf8');
    expect(env0).toMatch(/^MARIADB_ROOT_PASSWORD=/m);
    expect(filesContaining(env.home, new URL(url).password)).toEqual([]);
  }, 300_000);

  it('backs up with mysqldump --single-transaction, restores after damage: rows equal', async () => {
    await db.sql('CREATE TABLE items (id INT PRIMARY KEY, v VARCHAR(64)) ENGINE=InnoDB');
    await db.sql('INSERT INTO items SELECT seq, MD5(seq) FROM seq_1_to_3000');
    const before = await db.fingerprint();
    expect(before).toMatch(/^3000:/);
    let t0 = Date.now();
    const job = await env.json<{ status: string; result: { file: string; size: number } }>(['db', 'backup', name]);
    timings.backup = Date.now() - t0;
    expect(job.result.file).toMatch(/^\d{8}T\d{6}Z\.sql\.gz$/);
    const path = `${env.host.root}/backups/${name}/${job.result.file}`;
    const sql = (await run('sh', ['-c', 'gzip -dc "$1"', 'sh', path])).stdout;
    expect(sql).toMatch(/^-- Dump completed/m);
    expect(sql).toContain('INSERT INTO `items`');

    await db.sql('DELETE FROM items WHERE id > 1000');
    await db.sql("UPDATE items SET v = 'damaged' WHERE id < 50");
    await db.sql('DROP TABLE items');
    t0 = Date.now();
    await env.ok(['db', 'restore', name, job.result.file, '--force']);
    timings.restore = Date.now() - t0;
    expect(await db.fingerprint()).toBe(before);
  }, 300_000);

  it('never put the password on a command line', () => {
    expect(sampler.samples()).toBeGreaterThan(50);
    expect(sampler.hits(new URL(url).password)).toEqual([]);
  });
});
