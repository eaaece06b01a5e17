// The notification outbox on a real SQLite store with a real HTTP receiver on loopback: an event only queues
// deliveries (for the channels that want it); a refused delivery is retried after the backoff, signed each
// time, and the log says how many attempts it took; the last attempt marks it failed.
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envCipher } from '../../../src/adapters/secrets/env-cipher.js';
import type { Clock } from '../../../src/core/clock.js';
import { InfraktError } from '../../../src/core/errors.js';
import { addChannel } from '../../../src/services/notifications/channels.js';
import { listNotifyDeliveries } from '../../../src/services/notifications/deliveries.js';
import { deliverDue } from '../../../src/services/notifications/dispatcher.js';
import { raiseEvent } from '../../../src/services/notifications/events.js';
import { withJobNotifications } from '../../../src/services/notifications/job-events.js';
import type { Ctx } from '../../../src/services/shared/context.js';
import { type TempStore, tempStore } from '../../harness/temp-store.js';

describe('notification outbox', () => {
  let ts: TempStore;
  let ctx: Ctx;
  let now = Date.parse('2026-11-30T08:00:00Z');
  const clock: Clock = { now: () => new Date(now) };
  let server: Server;
  let port = 0;
  let answers: number[] = [];
  const got: { event: string; verified: boolean }[] = [];
  const secret = 'receiver-secret-0123456789';

  beforeAll(async () => {
    ts = await tempStore();
    ctx = {
      store: ts.store,
      cipher: envCipher(randomBytes(32)),
      paths: {} as Ctx['paths'],
      clock,
      actor: 'tester',
      connect: async () => {
        throw new Error('no server in this test');
      },
      jobs: ts.runner(),
    };
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (b: Buffer) => {
        body += b.toString();
      });
      req.on('end', () => {
        const t = String(req.headers['x-infrakt-timestamp']);
        const sig = `sha256=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
        got.push({
          event: String(req.headers['x-infrakt-event']),
          verified: sig === req.headers['x-infrakt-signature'],
        });
        res.writeHead(answers.shift() ?? 200).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    await addChannel(ctx, {
      name: 'hook',
      type: 'webhook',
      url: `http://127.0.0.1:${port}/in`,
      secret,
      events: ['deploy.failed'],
    });
  });

  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await ts.cleanup();
  });

  it('queues only for channels that want the event', async () => {
    expect(
      (await raiseEvent(ctx, { type: 'health.down', subject: 's/a', text: 'a is down', data: {} })).deliveries,
    ).toBe(0);
    expect(
      (await raiseEvent(ctx, { type: 'deploy.failed', subject: 's/a', text: 'deploy failed', data: {} })).deliveries,
    ).toBe(1);
  });

  it('retries a refused delivery after the backoff and logs the attempts', async () => {
    answers = [503];
    const o = { runner: 'test', backoffMs: 1000, maxAttempts: 3, timeoutMs: 5000 };
    expect(await deliverDue(ctx, o)).toEqual({ delivered: 0, retrying: 1, failed: 0 });
    // Not due yet: nothing is sent before the backoff.
    expect(await deliverDue(ctx, o)).toEqual({ delivered: 0, retrying: 0, failed: 0 });
    now += 1000;
    expect(await deliverDue(ctx, o)).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    expect(got).toEqual([
      { event: 'deploy.failed', verified: true },
      { event: 'deploy.failed', verified: true },
    ]);
    const [d] = await listNotifyDeliveries(ctx, {});
    expect(d).toMatchObject({ channel: 'hook', status: 'delivered', attempts: 2, responseCode: 200 });
  });

  it('gives up after the last attempt, with the error in the log', async () => {
    await raiseEvent(ctx, { type: 'deploy.failed', subject: 's/b', text: 'deploy of b failed', data: {} });
    answers = [500, 500, 500];
    const o = { runner: 'test', backoffMs: 1000, maxAttempts: 3, timeoutMs: 5000 };
    const outcomes = [];
    for (let i = 0; i < 3; i++) {
      outcomes.push(await deliverDue(ctx, o));
      now += 10_000;
    }
    expect(outcomes.map((r) => r.failed)).toEqual([0, 0, 1]);
    const [d] = await listNotifyDeliveries(ctx, {});
    expect(d).toMatchObject({ status: 'failed', attempts: 3, responseCode: 500 });
    expect(d?.lastError).toMatch(/HTTP 500/);
  });

  it('a finished deploy job raises its event (with the stored error); a job of another kind raises none', async () => {
    const jobs = withJobNotifications(ts.runner(), ctx);
    const before = await ctx.store.db.selectFrom('notify_events').select('id').execute();
    const failed = await jobs.start({ kind: 'app.deploy', target: 'srv/web' }, async () => {
      throw new InfraktError('COMMAND_FAILED', 'health check failed: HTTP 502');
    });
    await failed.done.catch(() => undefined);
    const other = await jobs.start({ kind: 'server.test', target: 'srv' }, async () => 1);
    await other.done;
    await jobs.pending();
    const raised = await ctx.store.db
      .selectFrom('notify_events')
      .selectAll()
      .where('id', 'not in', before.length ? before.map((e) => e.id) : [0])
      .execute();
    expect(raised.map((e) => [e.type, e.subject])).toEqual([['deploy.failed', 'srv/web']]);
    expect(JSON.parse(raised[0]!.payload_json).text).toBe('Deploy of srv/web failed: health check failed: HTTP 502');
  });
});
