// A monitor round on a real SQLite store: a server that cannot be reached is announced once, only after the
// damping's worth of failed rounds, and announced reachable again when it answers; every round is a sample.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envCipher } from '../../../src/adapters/secrets/env-cipher.js';
import { InfraktError } from '../../../src/core/errors.js';
import type { Executor } from '../../../src/core/executor.js';
import { monitorOverview, serverMetrics } from '../../../src/services/monitoring/history.js';
import { DEFAULT_MONITOR, Monitor } from '../../../src/services/monitoring/monitor.js';
import type { Ctx } from '../../../src/services/shared/context.js';
import { systemClock } from '../../../src/services/shared/context.js';
import { type TempStore, tempStore } from '../../harness/temp-store.js';

const SAMPLE = [
  '@@loadavg',
  '0.10 0.05 0.01 1/100 42',
  '@@meminfo',
  'MemTotal:        1000000 kB',
  'MemAvailable:     900000 kB',
  '@@df',
  'Filesystem     1024-blocks    Used Available Capacity Mounted on',
  '/dev/vda1        10000000 1000000   9000000      10% /',
  '@@cpustat',
  'cpu  100 0 50 800 50 0 0 0 0 0',
  '@@backups',
  '',
].join('\n');

describe('monitor round', () => {
  let ts: TempStore;
  let ctx: Ctx;
  let reachable = false;
  let connects = 0;

  beforeAll(async () => {
    ts = await tempStore();
    const ex: Executor = {
      target: 'srv',
      run: async () => ({ exitCode: 0, stdout: SAMPLE, stderr: '' }),
      close: async () => undefined,
    } as unknown as Executor;
    ctx = {
      store: ts.store,
      cipher: envCipher(randomBytes(32)),
      paths: {} as Ctx['paths'],
      clock: systemClock,
      actor: 'tester',
      connect: async () => {
        connects++;
        if (!reachable) throw new InfraktError('SSH_UNREACHABLE', 'connect ECONNREFUSED 127.0.0.1:1');
        return ex;
      },
      jobs: ts.runner(),
    };
    const now = new Date().toISOString();
    await ctx.store.db
      .insertInto('servers')
      .values({
        name: 'srv',
        host: '127.0.0.1',
        port: 1,
        user: 'root',
        key_path: null,
        provider: null,
        root_dir: '/opt/infrakt',
        status: 'ready',
        host_key_fingerprint: null,
        host_key: null,
        settings_json: '{}',
        last_checked_at: null,
        last_error: null,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await ctx.store.db
      .insertInto('notify_channels')
      .values({
        name: 'all',
        type: 'webhook',
        config_json: '{}',
        secret_enc: '',
        events_json: JSON.stringify(['server.unreachable', 'server.reachable']),
        created_at: now,
        updated_at: now,
      })
      .execute();
  });

  afterAll(async () => {
    await ts.cleanup();
  });

  const events = async () =>
    (await ctx.store.db.selectFrom('notify_events').select('type').orderBy('id').execute()).map((e) => e.type);

  it('unreachable twice in a row → one server.unreachable; back → server.reachable, with metrics', async () => {
    const m = new Monitor({ ...DEFAULT_MONITOR, damping: { downAfter: 2, upAfter: 1 } });
    await m.round(ctx);
    expect(await events()).toEqual([]);
    await m.round(ctx);
    await m.round(ctx);
    expect(await events()).toEqual(['server.unreachable']);
    expect((await monitorOverview(ctx))[0]).toMatchObject({ kind: 'server', name: 'srv', state: 'down' });
    reachable = true;
    await m.round(ctx);
    expect(await events()).toEqual(['server.unreachable', 'server.reachable']);
    const h = await serverMetrics(ctx, 'srv');
    expect(h).toMatchObject({ state: 'up', uptimePercent: 25 });
    expect(h.samples).toHaveLength(1);
    expect(h.samples[0]).toMatchObject({ memPercent: 10, diskPercent: 10, load1: 0.1 });
    expect(connects).toBe(4);
  });

  it('apps not watched (never deployed, stopped) lose their monitor state in the round, in batches', async () => {
    const server = await ctx.store.db
      .selectFrom('servers')
      .select('id')
      .where('name', '=', 'srv')
      .executeTakeFirstOrThrow();
    const now = new Date().toISOString();
    // More than one batch of 500; every app had a state from when it was watched.
    const apps = Array.from({ length: 1100 }, (_, i) => ({
      server_id: server.id,
      name: `idle-${i}`,
      app_type: 'image',
      domain: `idle-${i}.example.com`,
      port: 3000,
      git_repo: null,
      branch: null,
      image: 'nginx:alpine',
      status: i % 2 ? 'stopped' : 'created',
      settings_json: '{}',
      current_release: i % 2 ? 1 : null,
      created_at: now,
      updated_at: now,
    }));
    for (let i = 0; i < apps.length; i += 200)
      await ctx.store.db
        .insertInto('apps')
        .values(apps.slice(i, i + 200))
        .execute();
    const ids = (await ctx.store.db.selectFrom('apps').select('id').where('name', 'like', 'idle-%').execute()).map(
      (a) => a.id,
    );
    for (let i = 0; i < ids.length; i += 200) {
      await ctx.store.db
        .insertInto('monitor_states')
        .values(
          ids.slice(i, i + 200).map((id) => ({
            app_id: id,
            server_id: null,
            state: 'up' as const,
            streak: 0,
            changed_at: now,
            checked_at: now,
            last_error: null,
            alarms_json: '{}',
          })),
        )
        .execute();
    }
    // A statement per app made the round at serve's start 1,000 deletes (and megabytes of garbage): count them.
    let stateDeletes = 0;
    const db = ctx.store.db.withPlugin({
      transformQuery: ({ node }) => {
        if (node.kind === 'DeleteQueryNode' && JSON.stringify(node).includes('"monitor_states"')) stateDeletes++;
        return node;
      },
      transformResult: async ({ result }) => result,
    });
    const report = await new Monitor(DEFAULT_MONITOR).round({ ...ctx, store: { ...ctx.store, db } });
    expect(report).toMatchObject({ apps: 1100, errors: [] });
    expect(stateDeletes).toBe(3);
    const left = await ctx.store.db.selectFrom('monitor_states').select(['app_id', 'server_id']).execute();
    expect(left.filter((s) => s.app_id !== null)).toEqual([]);
    expect(left.filter((s) => s.server_id === server.id)).toHaveLength(1);
  });
});
