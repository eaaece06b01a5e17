import { afterEach, describe, expect, it } from 'vitest';
import { InfraktError } from '../../src/core/errors.js';
import type { Connect } from '../../src/services/shared/context.js';
import { type ApiFixture, apiFixture, body, registeredApiRoutes } from './api-fixture.js';

let f: ApiFixture;
afterEach(async () => {
  await f?.cleanup();
});

async function setup(connect?: Connect) {
  f = apiFixture(connect ? { connect } : {});
  await f.req('/api/servers', { method: 'POST', json: { name: 'web-1', host: '203.0.113.5' } });
  await f.req('/api/apps', { method: 'POST', json: { server: 'web-1', name: 'api', image: 'nginx:alpine' } });
}

async function settled(id: string) {
  for (let i = 0; i < 500; i++) {
    const job = await body(await f.req(`/api/jobs/${id}`));
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`job ${id} did not finish`);
}

/** A connection that never opens until the job is cancelled (keeps the app lock held). */
const hanging: Connect = (_server, opts) =>
  new Promise((_, reject) => {
    opts?.signal?.addEventListener('abort', () => reject(new InfraktError('CANCELLED', 'cancelled')));
  });

describe('jobs started over the API', () => {
  it.each([
    ['POST', '/api/apps/api/deploy', 'app.deploy'],
    ['POST', '/api/apps/api/restart', undefined],
    ['POST', '/api/apps/api/stop', undefined],
    ['DELETE', '/api/apps/api', 'app.destroy'],
    ['POST', '/api/servers/web-1/provision', 'server.provision'],
    ['POST', '/api/servers/web-1/proxy/reload', 'proxy.reload'],
    ['POST', '/api/servers/web-1/proxy/setup', 'proxy.setup'],
  ])('%s %s → 202 + Location + job; the job records the SSH failure', async (method, path, kind) => {
    await setup();
    const res = await f.req(path, { method });
    if (res.status === 422) {
      // restart/stop of an app never deployed: refused before any job (STATE)
      expect(path).toMatch(/restart|stop/);
      expect((await body(res)).error.code).toBe('STATE');
      return;
    }
    expect(res.status).toBe(202);
    const b = await body(res);
    expect(res.headers.get('location')).toBe(`/api/jobs/${b.jobId}`);
    expect(b.job.id).toBe(b.jobId);
    if (kind) expect(b.job.kind).toBe(kind);
    const job = await settled(b.jobId);
    expect(job.status).toBe('failed');
    expect(job.error.code).toBe('SSH_UNREACHABLE');
  });

  it('provision accepts an optional body (dryRun) and rejects a malformed one', async () => {
    await setup();
    const dry = await f.req('/api/servers/web-1/provision', { method: 'POST', json: { dryRun: true } });
    expect(dry.status).toBe(202);
    expect((await body(dry)).job.kind).toBe('server.provision.dry-run');
    const bad = await f.req('/api/servers/web-1/provision', { method: 'POST', json: { dryRun: 'yes' } });
    expect(bad.status).toBe(400);
  });

  it('a second deploy while one runs → 423 LOCKED; cancel over the API ends the first', async () => {
    await setup(hanging);
    const first = await body(await f.req('/api/apps/api/deploy', { method: 'POST' }));
    const second = await f.req('/api/apps/api/deploy', { method: 'POST' });
    expect(second.status).toBe(423);
    expect((await body(second)).error.code).toBe('LOCKED');
    const cancel = await f.req(`/api/jobs/${first.jobId}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(200);
    expect((await settled(first.jobId)).status).toBe('cancelled');
  });

  it('exec runs as a job; its failure is recorded', async () => {
    await setup();
    const res = await f.req('/api/servers/web-1/exec', { method: 'POST', json: { command: 'uptime' } });
    expect(res.status).toBe(202);
    const job = await settled((await body(res)).jobId);
    expect(job.kind).toBe('server.exec');
    expect(job.error.code).toBe('SSH_UNREACHABLE');
    expect((await f.req('/api/servers/web-1/exec', { method: 'POST', json: {} })).status).toBe(400);
  });

  it('env push and rollback of an app never deployed → 422 STATE, no job', async () => {
    await setup();
    for (const p of ['/api/apps/api/env/push', '/api/apps/api/rollback']) {
      const res = await f.req(p, { method: 'POST' });
      expect(res.status).toBe(422);
      expect((await body(res)).error.code).toBe('STATE');
    }
    expect(await body(await f.req('/api/jobs'))).toEqual([]);
  });

  it('unknown app or server → 404 before any job', async () => {
    await setup();
    expect((await f.req('/api/apps/nope/deploy', { method: 'POST' })).status).toBe(404);
    expect((await f.req('/api/servers/nope/provision', { method: 'POST' })).status).toBe(404);
    expect(await body(await f.req('/api/jobs'))).toEqual([]);
  });
});

describe('synchronous remote reads', () => {
  it('test answers 200 with the probe outcome; status of an unreachable server → 502', async () => {
    await setup();
    const t = await f.req('/api/servers/web-1/test', { method: 'POST' });
    expect(t.status).toBe(200);
    expect(await body(t)).toMatchObject({ server: 'web-1', status: 'unreachable', pinned: false });
    const s = await f.req('/api/servers/web-1/status');
    expect(s.status).toBe(502);
    expect((await body(s)).error.code).toBe('SSH_UNREACHABLE');
  });

  it('trust requires the verified fingerprint', async () => {
    await setup();
    const res = await f.req('/api/servers/web-1/trust', { method: 'POST', json: {} });
    expect(res.status).toBe(400);
    expect((await body(res)).error.details.issues[0].field).toBe('fingerprint');
  });

  it('deployments list; logs of an app never deployed → 422', async () => {
    await setup();
    expect(await body(await f.req('/api/apps/api/deployments'))).toEqual([]);
    expect((await f.req('/api/apps/api/logs?lines=50')).status).toBe(422);
    expect((await f.req('/api/apps/api/logs/stream')).status).toBe(422);
    expect((await f.req('/api/apps/api/logs?lines=0')).status).toBe(400);
  });

  it('proxy routes: list, add (job), bad domain → 400, unknown manual route → 404', async () => {
    await setup();
    expect(await body(await f.req('/api/servers/web-1/proxy/routes'))).toEqual([]);
    const add = await f.req('/api/servers/web-1/proxy/routes', {
      method: 'POST',
      json: { domain: 'docs.example.com', port: 8080 },
    });
    expect(add.status).toBe(202);
    const bad = await f.req('/api/servers/web-1/proxy/routes', { method: 'POST', json: { domain: 'x', port: 8080 } });
    expect(bad.status).toBe(400);
    const del = await f.req('/api/servers/web-1/proxy/routes/nope.example.com', { method: 'DELETE' });
    expect(del.status).toBe(404);
  });
});

describe('route table', () => {
  it('has the CLI-mirroring routes', async () => {
    await setup();
    const have = new Set(registeredApiRoutes(f.app).map((r) => `${r.method} ${r.path}`));
    for (const r of [
      'GET /api/dashboard',
      'GET /api/servers',
      'POST /api/servers',
      'GET /api/servers/:name',
      'DELETE /api/servers/:name',
      'POST /api/servers/:name/test',
      'GET /api/servers/:name/status',
      'POST /api/servers/:name/provision',
      'POST /api/servers/:name/exec',
      'GET /api/apps',
      'POST /api/apps',
      'GET /api/apps/:name',
      'DELETE /api/apps/:name',
      'POST /api/apps/:name/deploy',
      'POST /api/apps/:name/restart',
      'POST /api/apps/:name/stop',
      'POST /api/apps/:name/rollback',
      'GET /api/apps/:name/deployments',
      'GET /api/apps/:name/logs',
      'GET /api/apps/:name/logs/stream',
      'GET /api/apps/:name/env',
      'PUT /api/apps/:name/env',
      'DELETE /api/apps/:name/env/:key',
      'POST /api/apps/:name/env/:key/reveal',
      'POST /api/apps/:name/env/push',
      'GET /api/servers/:name/proxy/routes',
      'POST /api/servers/:name/proxy/routes',
      'DELETE /api/servers/:name/proxy/routes/:domain',
      'POST /api/servers/:name/proxy/reload',
      'GET /api/jobs',
      'GET /api/jobs/:id',
      'GET /api/jobs/:id/logs',
      'POST /api/jobs/:id/cancel',
      'GET /api/jobs/:id/events',
    ]) {
      expect(have.has(r), r).toBe(true);
    }
  });
});

describe('local changes to apps and proxy settings', () => {
  it('PATCH /api/apps/:name changes the image; wrong field for the type → 400', async () => {
    await setup();
    const res = await f.req('/api/apps/api', { method: 'PATCH', json: { image: 'nginx:1.27' } });
    expect(res.status).toBe(200);
    expect((await body(res)).changed).toEqual(['image: nginx:alpine → nginx:1.27']);
    expect((await body(await f.req('/api/apps/api'))).image).toBe('nginx:1.27');
    expect((await f.req('/api/apps/api', { method: 'PATCH', json: { branch: 'dev' } })).status).toBe(400);
    expect((await f.req('/api/apps/api', { method: 'PATCH', json: {} })).status).toBe(400);
  });

  it('PUT proxy settings changes only what is given', async () => {
    await setup();
    const first = await f.req('/api/servers/web-1/proxy/settings', {
      method: 'PUT',
      json: { httpPort: 8080, adminAddress: '127.0.0.1:2020' },
    });
    expect(await body(first)).toEqual({ tls: 'auto', httpPort: 8080, httpsPort: 443, adminAddress: '127.0.0.1:2020' });
    const second = await f.req('/api/servers/web-1/proxy/settings', { method: 'PUT', json: { tls: 'off' } });
    expect(await body(second)).toEqual({ tls: 'off', httpPort: 8080, httpsPort: 443, adminAddress: '127.0.0.1:2020' });
    const bad = await f.req('/api/servers/web-1/proxy/settings', {
      method: 'PUT',
      json: { adminAddress: '0.0.0.0:2019' },
    });
    expect(bad.status).toBe(400);
  });

  it('compose apps can be created with the compose file content', async () => {
    await setup();
    const composeFile = 'services:\n  web:\n    image: nginx:alpine\n    ports:\n      - "3000"\n';
    const res = await f.req('/api/apps', {
      method: 'POST',
      json: { server: 'web-1', name: 'stack', port: 3000, composeFile },
    });
    expect(res.status).toBe(201);
    expect((await body(res)).type).toBe('compose');
    const broken = await f.req('/api/apps', {
      method: 'POST',
      json: { server: 'web-1', name: 'stack2', port: 3000, composeFile: 'services: [' },
    });
    expect(broken.status).toBe(400);
  });
});

describe('every route answers sensibly (never a 500) with plausible input', () => {
  it('walks the route table', async () => {
    await setup();
    await f.req('/api/apps/api/env', { method: 'PUT', json: { vars: { K: 'v' } } });
    const bodies: Record<string, unknown> = {
      'POST /api/servers': { name: 'web-2', host: '203.0.113.9' },
      'POST /api/apps': { server: 'web-1', name: 'other', image: 'nginx' },
      'PATCH /api/apps/:name': { image: 'nginx:2' },
      'PUT /api/apps/:name/env': { vars: { A: '1' } },
      'POST /api/servers/:name/trust': { fingerprint: `SHA256:${'B'.repeat(43)}` },
      'POST /api/servers/:name/exec': { command: 'true' },
      'POST /api/servers/:name/proxy/routes': { domain: 'x.example.com', port: 8000 },
      'PUT /api/servers/:name/proxy/settings': { tls: 'internal' },
      'POST /api/databases': { server: 'web-1', name: 'db1', type: 'postgres' },
      'POST /api/databases/:name/restore': { backup: '20261122T031500Z.dump' },
      'PUT /api/databases/:name/schedule': { cron: '0 3 * * *', keep: 3 },
    };
    const job = await f.ctx.jobs.start({ kind: 'demo', target: 'x' }, async () => 1);
    await job.done;
    const statuses: string[] = [];
    for (const r of registeredApiRoutes(f.app)) {
      if (r.path.endsWith('/events') || r.path.endsWith('/logs/stream')) continue; // streams: own tests
      const path = r.path
        .replace(/^\/api\/servers\/:name/, '/api/servers/web-1')
        .replace(/^\/api\/apps\/:name/, '/api/apps/api')
        .replace(/^\/api\/databases\/:name/, '/api/databases/db0')
        .replace(':id', job.id)
        .replace(':key', 'K')
        .replace(':domain', 'x.example.com');
      const key = `${r.method} ${r.path}`;
      const res = await f.req(path, { method: r.method, ...(bodies[key] ? { json: bodies[key] } : {}) });
      statuses.push(`${key} → ${res.status}`);
      expect(res.status, `${key} → ${res.status}: ${await res.clone().text()}`).not.toBe(500);
      if (res.status >= 400) expect((await body(res)).error.code, key).toBeTypeOf('string');
    }
    expect(statuses.length).toBeGreaterThan(40);
    // Every route in turn (the catalog's read their folders): wide margin for a busy machine.
  }, 30_000);
});
