// Off-site backups to an S3-compatible server on loopback (s3rver over HTTPS, path-style, a self-signed CA given with
// --cacert), MariaDB through the built CLI: create → write → backup --target → damage → restore --from-target → rows
// equal. The secret access key arrives on stdin and is never on a command line, in a job log or in the state files.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shouldRunDockerTests } from '../harness/docker.js';
import { type S3Server, startS3 } from '../harness/s3.js';
import { filesContaining } from '../helpers/state.js';
import { cmdlineSampler, type DbEnv, dbEnv } from './db-harness.js';
import { mariadbClient } from './mariadb-client.js';

const runIt = await shouldRunDockerTests();

describe.skipIf(!runIt)('backup targets: S3 (s3rver on loopback)', () => {
  let env: DbEnv;
  let s3: S3Server;
  let name: string;
  let url = '';
  const db = mariadbClient(() => url);
  const sampler = cmdlineSampler();
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    [env, s3] = await Promise.all([dbEnv(['mariadb']), startS3()]);
    name = `${env.prefix}-m`;
  }, 300_000);

  afterAll(async () => {
    sampler.stop();
    await env?.cli(['db', 'destroy', name, '--server', env.server, '--force']).catch(() => undefined);
    await env?.close();
    await s3?.stop();
    process.stdout.write(`backup-target-s3 timings (ms): ${JSON.stringify(timings)}\n`);
  }, 120_000);

  it('refuses an S3 target without its secret, or with http://, and adds one with the secret on stdin', async () => {
    const base = ['backup-target', 'add', 's3t', '--access-key-id', s3.accessKeyId, '--cacert', s3.caCertPath];
    const noSecret = await env.cli([...base, '--s3', `${s3.endpoint}/${s3.bucket}/infrakt`]);
    expect(noSecret.code).toBe(2);
    expect(noSecret.stderr).toMatch(/secret access key is missing/);
    const http = await env.cli([...base, '--s3', `http://127.0.0.1:9/${s3.bucket}`], { input: s3.secretAccessKey });
    expect(http.code).toBe(2);
    expect(http.stderr).toMatch(/https/);
    const added = await env.cli([...base, '--s3', `${s3.endpoint}/${s3.bucket}/infrakt`], {
      input: `${s3.secretAccessKey}\n`,
    });
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('backup-target password s3t');
    const test = await env.json<{ result: { snapshots: number } }>(['backup-target', 'test', 's3t']);
    expect(test.result.snapshots).toBe(0);
    // The repository is in the bucket under the prefix.
    expect(readdirSync(join(s3.dataDir, s3.bucket, 'infrakt'))).toContain('config._S3rver_object');
  }, 300_000);

  it('round trip: backup to S3, damage, restore from S3, rows equal', async () => {
    const created = await env.json<{ connectionString: string }>([
      'db',
      'create',
      '--server',
      env.server,
      '--name',
      name,
      '--type',
      'mariadb',
    ]);
    url = created.connectionString;
    await db.sql('CREATE TABLE items (id INT PRIMARY KEY, v VARCHAR(64))');
    await db.sql('INSERT INTO items SELECT seq, SHA1(seq) FROM seq_1_to_2000');
    const before = await db.fingerprint();
    let t0 = Date.now();
    const job = await env.json<{ result: { file: string; offsite: { snapshotId: string } } }>([
      'db',
      'backup',
      name,
      '--target',
      's3t',
      '--keep-daily',
      '7',
    ]);
    timings.backupWithPush = Date.now() - t0;
    expect(job.result.offsite.snapshotId).toMatch(/^[0-9a-f]{8}/);
    const snaps = await env.json<{ snapshots: { id: string; file: string }[] }>([
      'db',
      'backups',
      name,
      '--target',
      's3t',
    ]);
    expect(snaps.snapshots).toEqual([expect.objectContaining({ file: job.result.file })]);

    await db.sql('DROP TABLE items');
    t0 = Date.now();
    await env.ok([
      'db',
      'restore',
      name,
      '--from-target',
      's3t',
      '--snapshot',
      snaps.snapshots[0]!.id.slice(0, 8),
      '--force',
    ]);
    timings.restoreFromTarget = Date.now() - t0;
    expect(await db.fingerprint()).toBe(before);
  }, 300_000);

  it('never showed the secret access key or the repository password', async () => {
    const password = (await env.ok(['backup-target', 'password', 's3t'])).stdout.trim();
    expect(sampler.samples()).toBeGreaterThan(50);
    for (const secret of [s3.secretAccessKey, password]) {
      expect(sampler.hits(secret)).toEqual([]);
      expect(filesContaining(env.home, secret)).toEqual([]);
    }
    const jobs = JSON.parse((await env.ok(['job', 'list', '--json', '--limit', '50'])).stdout) as { id: string }[];
    for (const j of jobs) {
      const logs = (await env.ok(['job', 'logs', j.id])).stdout;
      expect(logs).not.toContain(s3.secretAccessKey);
      expect(logs).not.toContain(password);
    }
    expect(readdirSync(join(env.host.root, 'backups', '.restic-run'))).toEqual([]);
  });
});
