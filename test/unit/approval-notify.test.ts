// An approval request raises `approval.requested` through the notification outbox (issue 16's channels): a real
// HTTP receiver on loopback gets one signed delivery naming the request, its requester and what it would change;
// a channel that did not ask for the event gets nothing; an operation no policy holds raises nothing.
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setPolicy } from '../../src/services/approvals/policies.js';
import { addChannel } from '../../src/services/notifications/channels.js';
import { deliverDue } from '../../src/services/notifications/dispatcher.js';
import { type ApiFixture, apiFixture, body } from './api-fixture.js';

const SECRET = 'approvals-receiver-secret-0123';
let f: ApiFixture;
let server: Server;
let got: { event: string; verified: boolean; body: Record<string, unknown> }[];

async function insertServer(name: string) {
  const t = new Date().toISOString();
  await f.ctx.store.db
    .insertInto('servers')
    .values({
      name,
      host: '127.0.0.1',
      port: 1,
      user: 'root',
      root_dir: '/opt/infrakt',
      key_path: null,
      provider: null,
      status: 'unknown',
      host_key_fingerprint: null,
      host_key: null,
      last_checked_at: null,
      last_error: null,
      settings_json: JSON.stringify({ labels: {} }),
      created_at: t,
      updated_at: t,
    })
    .execute();
}

beforeEach(async () => {
  f = apiFixture();
  got = [];
  server = createServer((req, res) => {
    let text = '';
    req.on('data', (b: Buffer) => {
      text += b.toString();
    });
    req.on('end', () => {
      const t = String(req.headers['x-infrakt-timestamp']);
      const sig = `sha256=${createHmac('sha256', SECRET).update(`${t}.${text}`).digest('hex')}`;
      got.push({
        event: String(req.headers['x-infrakt-event']),
        verified: sig === req.headers['x-infrakt-signature'],
        body: JSON.parse(text) as Record<string, unknown>,
      });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await addChannel(f.ctx, {
    name: 'admins',
    type: 'webhook',
    url: `${url}/approvals`,
    secret: SECRET,
    events: ['approval.requested'],
  });
  await addChannel(f.ctx, {
    name: 'deploys',
    type: 'webhook',
    url: `${url}/deploys`,
    secret: SECRET,
    events: ['deploy.failed'],
  });
  await insertServer('s1');
  await insertServer('s2');
});

afterEach(async () => {
  await new Promise((r) => server.close(r));
  await f.cleanup();
});

describe('approval.requested notifications', () => {
  it('a held request is delivered, signed, to the channels that want it', async () => {
    await setPolicy(f.ctx, { operation: 'server.remove', serverLabel: null });
    const res = await f.req('/api/servers/s1', { method: 'DELETE' });
    expect(res.status).toBe(202);
    const { jobId } = await body(res);
    expect(await deliverDue(f.ctx, { runner: 'test', timeoutMs: 10_000 })).toEqual({
      delivered: 1,
      retrying: 0,
      failed: 0,
    });
    expect(got).toHaveLength(1);
    const [d] = got;
    expect(d).toMatchObject({ event: 'approval.requested', verified: true });
    expect(d!.body).toMatchObject({
      type: 'approval.requested',
      subject: 's1',
      data: { job: jobId, operation: 'server.remove', target: 's1', requestedBy: 'owner key' },
    });
    expect(String(d!.body.text)).toContain(`infrakt approval approve ${jobId}`);
    expect((d!.body.data as { diff: { field: string }[] }).diff.map((l) => l.field)).toContain('server');
  });

  it('an operation no policy holds raises nothing', async () => {
    const res = await f.req('/api/servers/s2', { method: 'DELETE' });
    expect(res.status).toBeLessThan(300);
    expect(await f.ctx.store.db.selectFrom('approvals').selectAll().execute()).toEqual([]);
    expect(await f.ctx.store.db.selectFrom('notify_events').selectAll().execute()).toEqual([]);
    expect(await deliverDue(f.ctx, { runner: 'test', timeoutMs: 10_000 })).toEqual({
      delivered: 0,
      retrying: 0,
      failed: 0,
    });
    expect(got).toEqual([]);
  });
});
