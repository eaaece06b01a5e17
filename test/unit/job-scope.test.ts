// Jobs follow the caller's server/app scope on every face: the API (list, one job, its logs, its events, cancel,
// the dashboard summary), MCP (list_jobs, job_log through the SDK's own client) and the job references the CLI and
// MCP resolve (`last`, prefixes). Two servers, a job on each, a job on no server: a token limited to s1 sees s1's
// job only and reads s2's as an unknown id (404 with the same answer); an unlimited admin sees all three.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownerPrincipal, type Principal } from '../../src/core/access.js';
import { createApp } from '../../src/services/apps/apps.js';
import { getJob, listJobs } from '../../src/services/jobs/job-access.js';
import { resolveJobRef } from '../../src/services/jobs/job-ref.js';
import { registerServer } from '../../src/services/servers/servers.js';
import { createToken } from '../../src/services/tokens/tokens.js';
import { type ApiFixture, apiFixture, body } from './api-fixture.js';

let f: ApiFixture;
let seq = 0;
const addr = () => `203.0.113.${(++seq % 250) + 1}`;
const jobIds = { s1: '', s2: '', none: '', s1other: '' };
const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });
let s1Read: Record<string, string>;
let s1Deploy: Record<string, string>;
let appToken: Record<string, string>;
let adminToken: Record<string, string>;

const as = (path: string, headers: Record<string, string>, method = 'GET') =>
  f.app.request(path, { method, headers }, { incoming: { socket: { remoteAddress: addr() } } });

/** An MCP client whose requests go into the API app in process, with the caller's credentials. */
async function mcpAs(headers: Record<string, string>): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL('http://127.0.0.1/mcp'), {
    requestInit: { headers },
    fetch: async (url, init) => f.app.request(String(url), init, { incoming: { socket: { remoteAddress: addr() } } }),
  });
  const client = new Client({ name: 'ikt-test-job-scope', version: '1' });
  await client.connect(transport);
  return client;
}
type ToolAnswer = { content: { type: string; text: string }[]; isError?: boolean };
const call = async (c: Client, name: string, args: Record<string, unknown>) => {
  const r = (await c.callTool({ name, arguments: args })) as ToolAnswer;
  // biome-ignore lint/suspicious/noExplicitAny: tool answers are checked by assertions, not types
  return { isError: Boolean(r.isError), value: JSON.parse(r.content.map((x) => x.text).join('')) as any };
};

beforeAll(async () => {
  f = apiFixture({ rateLimit: { max: 10_000, windowMs: 60_000 }, mcp: { allowWrites: false } });
  await registerServer(f.ctx, { name: 's1', host: '127.0.0.1', root: '/srv/ikt-s1' });
  await registerServer(f.ctx, { name: 's2', host: '127.0.0.1', root: '/srv/ikt-s2' });
  const web1 = await createApp(f.ctx, { server: 's1', name: 'web', image: 'infrakt-test/web:1', port: 3000 });
  const api1 = await createApp(f.ctx, { server: 's1', name: 'api', image: 'infrakt-test/web:1', port: 3000 });
  const web2 = await createApp(f.ctx, { server: 's2', name: 'web', image: 'infrakt-test/web:1', port: 3000 });
  const ids = async (server: string) =>
    (await f.ctx.store.db.selectFrom('servers').select('id').where('name', '=', server).executeTakeFirstOrThrow()).id;
  const run = async (target: string, serverId: number | undefined, appId: number | undefined, fail = false) => {
    const spec = { kind: 'test.job', target, ...(serverId ? { serverId } : {}), ...(appId ? { appId } : {}) };
    try {
      return (
        await f.ctx.jobs.run(spec, async (job) => {
          job.log(`working on ${target}`);
          if (fail) throw new Error(`${target} broke`);
        })
      ).jobId;
    } catch (e) {
      return (e as { details: { jobId: string } }).details.jobId;
    }
  };
  // Oldest first: s2's failed job is the newest, so `last` and the dashboard would show it first to anyone.
  jobIds.none = await run('cluster c1', undefined, undefined);
  jobIds.s1other = await run('s1/api', await ids('s1'), api1.id);
  jobIds.s1 = await run('s1/web', await ids('s1'), web1.id);
  jobIds.s2 = await run('s2/web', await ids('s2'), web2.id, true);
  s1Read = bearer((await createToken(f.ctx, { name: 'r-s1', scope: 'read', server: 's1' })).secret);
  s1Deploy = bearer((await createToken(f.ctx, { name: 'd-s1', scope: 'deploy', server: 's1' })).secret);
  appToken = bearer((await createToken(f.ctx, { name: 'r-web', scope: 'read', server: 's1', app: 'web' })).secret);
  adminToken = bearer((await createToken(f.ctx, { name: 'ops', scope: 'admin' })).secret);
}, 60_000);
afterAll(async () => {
  await f?.cleanup();
});

describe('jobs over the API follow the scope', () => {
  it("GET /api/jobs: a token limited to s1 sees s1's jobs only; an unlimited admin and the owner key see all", async () => {
    const listed = async (h: Record<string, string>) =>
      ((await body(await as('/api/jobs', h))) as { id: string }[]).map((j) => j.id).sort();
    expect(await listed(s1Read)).toEqual([jobIds.s1, jobIds.s1other].sort());
    expect(await listed(appToken)).toEqual([jobIds.s1]);
    const all = Object.values(jobIds).sort();
    expect(await listed(adminToken)).toEqual(all);
    expect(await listed({ 'X-API-Key': f.key })).toEqual(all);
    // The status filter still applies within the scope.
    expect(((await body(await as('/api/jobs?status=failed', s1Read))) as unknown[]).length).toBe(0);
  });

  it("s2's job reads as an unknown id (404, same answer) on every job route; s1's is there", async () => {
    const unknown = await body(await as('/api/jobs/j_doesnotexist0', s1Read));
    expect(unknown.error.code).toBe('NOT_FOUND');
    for (const [path, h, method] of [
      [`/api/jobs/${jobIds.s2}`, s1Read, 'GET'],
      [`/api/jobs/${jobIds.s2}/logs`, s1Read, 'GET'],
      [`/api/jobs/${jobIds.s2}/events`, s1Read, 'GET'],
      [`/api/jobs/${jobIds.s2}/cancel`, s1Deploy, 'POST'],
      [`/api/jobs/${jobIds.none}`, s1Read, 'GET'],
      [`/api/jobs/${jobIds.s1other}`, appToken, 'GET'],
    ] as const) {
      const res = await as(path, h, method);
      const b = await body(res);
      expect([path, res.status, b.error.code]).toEqual([path, 404, 'NOT_FOUND']);
      const id = path.split('/')[3]!;
      // Word for word the answer for an id that never existed: nothing tells the job is there.
      expect(b.error.message).toBe(unknown.error.message.replace('j_doesnotexist0', id));
      expect(b.error.hint).toBe(unknown.error.hint);
    }
    const mine = await as(`/api/jobs/${jobIds.s1}`, s1Read);
    expect([mine.status, (await body(mine)).target]).toEqual([200, 's1/web']);
    const log = (await body(await as(`/api/jobs/${jobIds.s1}/logs`, s1Read))) as { line: string }[];
    expect(log.map((l) => l.line)).toContain('working on s1/web');
    const events = await as(`/api/jobs/${jobIds.s1}/events`, s1Read);
    expect(events.status).toBe(200);
    expect(await events.text()).toContain('event: end');
    const theirs = await as(`/api/jobs/${jobIds.s2}`, adminToken);
    expect([theirs.status, (await body(theirs)).target]).toEqual([200, 's2/web']);
  });

  it("the dashboard summary counts and lists s1's only: s2's failed job is not there", async () => {
    const scoped = await body(await as('/api/dashboard', s1Read));
    expect(scoped.jobs.failedLast24h).toBe(0);
    expect(scoped.failing.map((x: { jobId: string | null }) => x.jobId)).not.toContain(jobIds.s2);
    expect(scoped.servers.total).toBe(1);
    expect(scoped.apps.total).toBe(2);
    const admin = await body(await as('/api/dashboard', adminToken));
    expect(admin.jobs.failedLast24h).toBe(1);
    expect(admin.failing.map((x: { jobId: string | null }) => x.jobId)).toContain(jobIds.s2);
    expect([admin.servers.total, admin.apps.total]).toEqual([2, 3]);
  });
});

describe('jobs over MCP follow the scope (SDK client at /mcp)', () => {
  it("list_jobs shows s1's jobs to the s1 token and all to the admin; job_log of s2's job is NOT_FOUND", async () => {
    const scoped = await mcpAs(s1Read);
    const admin = await mcpAs(adminToken);
    try {
      const ids = async (c: Client) =>
        ((await call(c, 'list_jobs', {})).value.jobs as { id: string }[]).map((j) => j.id).sort();
      expect(await ids(scoped)).toEqual([jobIds.s1, jobIds.s1other].sort());
      expect(await ids(admin)).toEqual(Object.values(jobIds).sort());

      const refused = await call(scoped, 'job_log', { job: jobIds.s2 });
      expect(refused.isError).toBe(true);
      expect(refused.value.error.code).toBe('NOT_FOUND');
      expect(JSON.stringify(refused.value)).not.toContain('s2/web');
      // `last` is the newest job the caller may see, not s2's newer one.
      const last = await call(scoped, 'job_log', { job: 'last' });
      expect([last.isError, last.value.job.id]).toEqual([false, jobIds.s1]);
      expect(last.value.log.join('\n')).toContain('working on s1/web');
      const theirs = await call(admin, 'job_log', { job: jobIds.s2 });
      expect([theirs.isError, theirs.value.job.target]).toEqual([false, 's2/web']);
    } finally {
      await scoped.close();
      await admin.close();
    }
  });
});

describe('job references and the service functions', () => {
  const scopedCtx = () => {
    const p: Principal = { kind: 'token', id: 'token:x', name: 'token x', level: 'read', servers: ['s1'], apps: null };
    return { ...f.ctx, principal: p };
  };

  it("a prefix matches only jobs in scope: s2's id, even whole, is unknown; an ambiguous prefix lists s1's only", async () => {
    await expect(resolveJobRef(scopedCtx(), jobIds.s2)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(resolveJobRef(scopedCtx(), jobIds.s2.slice(0, -2))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await resolveJobRef(scopedCtx(), jobIds.s1)).toBe(jobIds.s1);
    const err = await resolveJobRef(scopedCtx(), 'j_').catch((e) => e);
    expect(err.code).toBe('VALIDATION');
    expect([...err.details.candidates].sort()).toEqual([jobIds.s1, jobIds.s1other].sort());
    expect(err.hint).not.toContain('s2/web');
    // The local CLI (no principal) and the owner see everything.
    expect(await resolveJobRef(f.ctx, jobIds.s2)).toBe(jobIds.s2);
    expect(await resolveJobRef({ ...f.ctx, principal: ownerPrincipal() }, 'last')).toBe(jobIds.s2);
  });

  it('a principal limited to a server that no longer resolves, or to no server at all, sees no job', async () => {
    const none: Principal = { kind: 'user', id: 'user:z', name: 'z', level: 'read', servers: [], apps: null };
    expect(await listJobs({ ...f.ctx, principal: none })).toEqual([]);
    const gone: Principal = { ...none, servers: ['removed-server'] };
    expect(await listJobs({ ...f.ctx, principal: gone })).toEqual([]);
    await expect(getJob({ ...f.ctx, principal: gone }, jobIds.s1)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
