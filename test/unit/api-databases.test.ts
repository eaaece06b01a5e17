import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OneTimeSecrets } from '../../src/api/one-time.js';
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

describe('databases over the API', () => {
  it('create → 202 job; a failed create leaves nothing and no credentials', async () => {
    const res = await f.req('/api/databases', {
      method: 'POST',
      json: { server: 'web-1', name: 'main', type: 'redis' },
    });
    expect(res.status).toBe(202);
    const { jobId } = await body(res);
    expect(res.headers.get('location')).toBe(`/api/jobs/${jobId}`);
    const job = await settled(jobId);
    expect(job.status).toBe('failed');
    expect(job.error.code).toBe('SSH_UNREACHABLE');
    expect(await body(await f.req('/api/databases'))).toEqual([]);
    const claim = await f.req(`/api/jobs/${jobId}/credentials`, { method: 'POST' });
    expect(claim.status).toBe(404);
  });

  it('bad input → 400 before any job; unknown database → 404', async () => {
    const bad = await f.req('/api/databases', {
      method: 'POST',
      json: { server: 'web-1', name: 'main', type: 'oracle' },
    });
    expect(bad.status).toBe(400);
    expect((await body(bad)).error.details.issues[0].field).toBe('type');
    expect((await f.req('/api/databases/nope')).status).toBe(404);
    expect((await f.req('/api/databases/nope', { method: 'DELETE' })).status).toBe(404);
    expect((await f.req('/api/databases/nope/backups', { method: 'POST' })).status).toBe(404);
    expect((await f.req('/api/databases/nope/restore', { method: 'POST', json: { backup: 'x.dump' } })).status).toBe(
      400,
    );
    expect(await body(await f.req('/api/jobs'))).toEqual([]);
  });

  it('credentials of a running job → 422 STATE', async () => {
    const h = await f.ctx.jobs.start({ kind: 'db.create', target: 'x' }, () => new Promise(() => {}));
    const res = await f.req(`/api/jobs/${h.id}/credentials`, { method: 'POST' });
    expect(res.status).toBe(422);
    await f.req(`/api/jobs/${h.id}/cancel`, { method: 'POST' });
  });
});

describe('one-time secrets', () => {
  it('are handed out once, and expire', () => {
    let now = 0;
    const s = new OneTimeSecrets(1000, () => now);
    s.put('j1', { connectionString: 'redis://:pw@127.0.0.1:1/0' });
    s.put('j2', { connectionString: 'x' });
    expect(s.claim('j1')).toEqual({ connectionString: 'redis://:pw@127.0.0.1:1/0' });
    expect(s.claim('j1')).toBeUndefined();
    now = 1000;
    expect(s.claim('j2')).toBeUndefined();
  });
});
