// The JSON each route answers is exactly the view its OpenAPI document promises: every required field is
// there, no field is left undocumented, types and enums hold. The views are the zod schemas of
// src/core/schemas/views/; this checks the services really build what those schemas say.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiFixture, apiFixture, body } from './api-fixture.js';

type Schema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: Schema | boolean;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
};
interface Doc {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: Schema }> }> }>
  >;
  components: { schemas: Record<string, Schema> };
}

const typeOf = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;

/** The ways `value` departs from `schema`, as `path: problem` lines (none: it conforms). */
function problems(doc: Doc, schema: Schema, value: unknown, path = '$'): string[] {
  if (schema.$ref) return problems(doc, doc.components.schemas[schema.$ref.split('/').pop()!]!, value, path);
  const branches = schema.anyOf ?? schema.oneOf;
  if (branches) {
    const each = branches.map((b) => problems(doc, b, value, path));
    return each.some((p) => p.length === 0) ? [] : each.flat();
  }
  const out: string[] = [];
  const actual = typeOf(value);
  if (schema.type) {
    const allowed = [schema.type].flat();
    if (!allowed.includes(actual) && !(actual === 'integer' && allowed.includes('number'))) {
      return [`${path}: ${actual}, documented ${allowed.join('|')}`];
    }
  }
  if (schema.enum && !schema.enum.includes(value)) out.push(`${path}: ${JSON.stringify(value)} not in the enum`);
  if (actual === 'array' && schema.items) {
    (value as unknown[]).forEach((v, i) => {
      out.push(...problems(doc, schema.items!, v, `${path}[${i}]`));
    });
  }
  if (actual === 'object') {
    const o = value as Record<string, unknown>;
    for (const k of schema.required ?? []) if (!(k in o)) out.push(`${path}.${k}: missing`);
    for (const [k, v] of Object.entries(o)) {
      const prop = schema.properties?.[k];
      if (prop) out.push(...problems(doc, prop, v, `${path}.${k}`));
      else if (typeof schema.additionalProperties === 'object') {
        out.push(...problems(doc, schema.additionalProperties, v, `${path}.${k}`));
      } else if (schema.properties) out.push(`${path}.${k}: not documented`);
    }
  }
  return out;
}

let f: ApiFixture;
let doc: Doc;
let jobId: string;

/** Requests `path`, and checks the answer against the documented response of `route` for its status. */
async function conforms(route: string, path: string, init: Parameters<ApiFixture['req']>[1] = {}, status = 200) {
  const [method, template] = route.split(' ') as [string, string];
  const res = await f.req(path, { method, ...init });
  const json = await body(res);
  expect(res.status, JSON.stringify(json)).toBe(status);
  const schema =
    doc.paths[template]?.[method.toLowerCase()]?.responses[String(status)]?.content?.['application/json']?.schema;
  expect(schema, `${route} documents ${status}`).toBeDefined();
  expect(problems(doc, schema!, json), route).toEqual([]);
  return json;
}

beforeAll(async () => {
  f = apiFixture();
  doc = await body(await f.req('/api/openapi.json'));
  await f.req('/api/servers', { method: 'POST', json: { name: 'web-1', host: '203.0.113.5', user: 'deploy' } });
  await f.req('/api/apps', {
    method: 'POST',
    json: { server: 'web-1', name: 'api', image: 'nginx:alpine', domain: 'api.example.com' },
  });
  await f.req('/api/apps/api/env', { method: 'PUT', json: { vars: { A: '1' } } });
  const h = await f.ctx.jobs.start({ kind: 'demo', target: 'x', plannedSteps: ['one', 'two'] }, async (job) => {
    await job.step('one', async (s) => s.log('hello'));
    return { ok: true };
  });
  await h.done;
  jobId = h.id;
});
afterAll(async () => {
  await f.cleanup();
});

describe('every answer is the documented view', () => {
  it('the checker itself spots a missing, an undocumented and a mistyped field', () => {
    expect(problems(doc, { $ref: '#/components/schemas/Server' }, { name: 'x' })).toContain('$.id: missing');
    expect(problems(doc, { type: 'object', properties: { a: { type: 'string' } } }, { a: 'x', b: 1 })).toEqual([
      '$.b: not documented',
    ]);
    expect(problems(doc, { type: ['integer', 'null'] }, 'x')).toEqual(['$: string, documented integer|null']);
  });

  it('servers, apps and the dashboard', async () => {
    await conforms('POST /api/servers', '/api/servers', { json: { name: 'web-2', host: '203.0.113.6' } }, 201);
    await conforms('POST /api/apps', '/api/apps', { json: { server: 'web-2', name: 'app2', image: 'nginx' } }, 201);
    await conforms('GET /api/dashboard', '/api/dashboard');
    await conforms('GET /api/servers', '/api/servers');
    await conforms('GET /api/servers/{name}', '/api/servers/web-1');
    await conforms('POST /api/servers/{name}/test', '/api/servers/web-1/test');
    await conforms('GET /api/servers/{name}/proxy/routes', '/api/servers/web-1/proxy/routes');
    await conforms('PUT /api/servers/{name}/proxy/settings', '/api/servers/web-1/proxy/settings', {
      json: { tls: 'internal' },
    });
    await conforms('GET /api/apps', '/api/apps');
    await conforms('GET /api/apps/{name}', '/api/apps/api');
    await conforms('PATCH /api/apps/{name}', '/api/apps/api', { json: { image: 'nginx:1.27' } });
    await conforms('GET /api/apps/{name}/deployments', '/api/apps/api/deployments');
    await conforms('GET /api/databases', '/api/databases');
  });

  it('env, in its masked and revealed forms', async () => {
    await conforms('PUT /api/apps/{name}/env', '/api/apps/api/env', { json: { vars: { B: '2' } } });
    expect(await conforms('GET /api/apps/{name}/env', '/api/apps/api/env')).toEqual([
      { key: 'A', value: '********', updatedAt: expect.any(String) },
      { key: 'B', value: '********', updatedAt: expect.any(String) },
    ]);
    await conforms('POST /api/apps/{name}/env/reveal', '/api/apps/api/env/reveal');
    await conforms('POST /api/apps/{name}/env/{key}/reveal', '/api/apps/api/env/A/reveal');
    await conforms('DELETE /api/apps/{name}/env/{key}', '/api/apps/api/env/B');
  });

  it('jobs: records, logs, a started job (202) and an error body', async () => {
    const list = await conforms('GET /api/jobs', '/api/jobs');
    expect(list.length).toBeGreaterThan(0);
    await conforms('GET /api/jobs/{id}', `/api/jobs/${jobId}`);
    await conforms('GET /api/jobs/{id}/logs', `/api/jobs/${jobId}/logs`);
    const running = await f.ctx.jobs.start({ kind: 'demo', target: 'y' }, async (job) => {
      await new Promise<void>((_, reject) => job.signal.addEventListener('abort', () => reject(job.signal.reason)));
    });
    await conforms('POST /api/jobs/{id}/cancel', `/api/jobs/${running.id}/cancel`);
    await expect(running.done).rejects.toMatchObject({ code: 'CANCELLED' });
    // The deploy fails (no SSH in unit tests) but is accepted as a job first.
    const accepted = await conforms('POST /api/apps/{name}/deploy', '/api/apps/api/deploy', {}, 202);
    const ended = await new Promise<string>((resolve) => {
      const stop = f.ctx.jobs.subscribe(accepted.jobId, (e) => {
        if (e.type === 'status' && ['succeeded', 'failed', 'cancelled'].includes(e.status)) {
          stop();
          resolve(e.status);
        }
      });
    });
    expect(ended).toBe('failed');
    await conforms('GET /api/jobs/{id}', `/api/jobs/${accepted.jobId}`);
    await conforms('GET /api/jobs/{id}', '/api/jobs/j_nope', {}, 404);
  });

  it('the catalog: entries, one entry, stacks', async () => {
    const list = await conforms('GET /api/catalog', '/api/catalog');
    expect(list.length).toBeGreaterThanOrEqual(20);
    await conforms('GET /api/catalog/{id}', '/api/catalog/authentik');
    await conforms('GET /api/catalog/{id}', '/api/catalog/swapfile');
    await conforms('GET /api/catalog/stacks', '/api/catalog/stacks');
  });

  it('backup targets, the backup overview and app volume backups', async () => {
    await conforms(
      'POST /api/backup-targets',
      '/api/backup-targets',
      { json: { name: 'nas', sftp: 'backup@nas.example.com:/srv/restic' } },
      201,
    );
    await conforms(
      'POST /api/backup-targets',
      '/api/backup-targets',
      { json: { name: 'b2', s3: 'https://s3.example.com/bkt', accessKeyId: 'AKIA', secretAccessKey: 'secret-key' } },
      201,
    );
    const db = f.ctx.store.raw!;
    const server = db.prepare("SELECT id FROM servers WHERE name = 'web-1'").pluck().get();
    db.prepare("UPDATE backup_targets SET last_check_json = ? WHERE name = 'nas'").run(
      JSON.stringify({
        kind: 'verify',
        at: '2026-01-01T00:00:00Z',
        status: 'ok',
        message: 'no errors',
        server: 'web-1',
      }),
    );
    db.prepare(
      "INSERT INTO backup_runs (server_id, subject_kind, subject, target, status, snapshot_id, bytes, message, job_id, started_at, finished_at) VALUES (?, 'app', 'api', NULL, 'ok', 'abcdef12', 10, 'api-svc_data', NULL, 't', 't')",
    ).run(server);
    await conforms('GET /api/backup-targets', '/api/backup-targets');
    const overview = await conforms('GET /api/backups/overview', '/api/backups/overview');
    expect(overview.apps[0].local.snapshotId).toBe('abcdef12');
    await conforms('POST /api/backup-targets/{name}/test', '/api/backup-targets/nas/test?server=web-1', {}, 202);
    await conforms('POST /api/apps/{name}/backups', '/api/apps/api/backups', { json: {} }, 202);
    await conforms('DELETE /api/backup-targets/{name}', '/api/backup-targets/b2');
  });

  it('deleting a server', async () => {
    await conforms('DELETE /api/servers/{name}', '/api/servers/web-1?force=true');
  });
});
