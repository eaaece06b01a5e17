// Backup targets and app volume backups over the API (no SSH in unit tests): secrets are write-only, bad input is a
// 400 before anything is stored, remote operations are jobs that fail like an unreachable host.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixture, body } from './api-fixture.js';

let f: ApiFixture;
beforeEach(async () => {
  f = apiFixture();
  await f.req('/api/servers', { method: 'POST', json: { name: 'web-1', host: '203.0.113.5' } });
});
afterEach(async () => {
  await f.cleanup();
});

async function settled(id: string) {
  for (let i = 0; i < 500; i++) {
    const job = await body(await f.req(`/api/jobs/${id}`));
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`job ${id} did not finish`);
}

const SECRET = 'wJalrXUtnFEMI-K7MDENG-bPxRfiCY-SECRET';

describe('backup targets over the API', () => {
  it('adds an S3 target; the secret never comes back; lists and removes it', async () => {
    const res = await f.req('/api/backup-targets', {
      method: 'POST',
      json: { name: 'b2', s3: 'https://s3.example.com/bkt/p', accessKeyId: 'AKIAX', secretAccessKey: SECRET },
    });
    expect(res.status).toBe(201);
    const text = await res.text();
    expect(text).not.toContain(SECRET);
    expect(JSON.parse(text)).toMatchObject({ passwordGenerated: true, target: { name: 'b2', kind: 's3' } });
    const list = await f.req('/api/backup-targets');
    const listed = await list.text();
    expect(listed).not.toContain(SECRET);
    expect(JSON.parse(listed)).toHaveLength(1);
    const overview = await body(await f.req('/api/backups/overview'));
    expect(overview.targets.map((t: { name: string }) => t.name)).toEqual(['b2']);
    expect((await f.req('/api/backup-targets/b2', { method: 'DELETE' })).status).toBe(200);
    expect(await body(await f.req('/api/backup-targets'))).toEqual([]);
  });

  it('bad input → 400 and nothing stored; unknown target → 404', async () => {
    for (const json of [
      { name: 'x', sftp: 'u@h:/a;rm' },
      { name: 'x', s3: 'http://s3.example.com/bkt', accessKeyId: 'A', secretAccessKey: 's' },
      { name: 'X Y', sftp: 'u@h:/r' },
      { name: 'x' },
    ]) {
      const r = await f.req('/api/backup-targets', { method: 'POST', json });
      expect(r.status).toBe(400);
    }
    expect(await body(await f.req('/api/backup-targets'))).toEqual([]);
    expect((await f.req('/api/backup-targets/nope/test', { method: 'POST' })).status).toBe(404);
    expect((await f.req('/api/backup-targets/nope', { method: 'DELETE' })).status).toBe(404);
  });

  it('test and verify are jobs that need a server; unreachable fails the job and records the check', async () => {
    await f.req('/api/backup-targets', { method: 'POST', json: { name: 'nas', sftp: 'u@nas.example.com:/r' } });
    const res = await f.req('/api/backup-targets/nas/test', { method: 'POST' });
    expect(res.status).toBe(202);
    const job = await settled((await body(res)).jobId);
    expect(job.status).toBe('failed');
    expect(job.error.code).toBe('SSH_UNREACHABLE');
    const [t] = await body(await f.req('/api/backup-targets'));
    expect(t.lastCheck).toMatchObject({ kind: 'test', status: 'failed', server: 'web-1' });
    const bad = await f.req('/api/backup-targets/nas/verify', { method: 'POST', json: { readDataSubset: '1;x' } });
    expect(bad.status).toBe(400);
  });

  it('db backup with a target and restore from a target validate before any job', async () => {
    expect((await f.req('/api/databases/nope/backups', { method: 'POST', json: { target: 'nas' } })).status).toBe(404);
    expect(
      (await f.req('/api/databases/nope/restore', { method: 'POST', json: { fromTarget: 'nas', snapshot: 'zz' } }))
        .status,
    ).toBe(400);
    expect(await body(await f.req('/api/jobs'))).toEqual([]);
  });

  it('app volume backup/restore: unknown app 404, bad snapshot 400, no job', async () => {
    expect((await f.req('/api/apps/nope/backups', { method: 'POST', json: {} })).status).toBe(404);
    await f.req('/api/apps', { method: 'POST', json: { server: 'web-1', name: 'web', image: 'nginx:alpine' } });
    expect((await f.req('/api/apps/web/restore', { method: 'POST', json: { snapshot: '../x' } })).status).toBe(400);
    expect((await f.req('/api/apps/web/backups', { method: 'POST', json: { keepDaily: 3 } })).status).toBe(400);
    expect(await body(await f.req('/api/jobs'))).toEqual([]);
  });
});
