// The resource state machine through the governed job runner on a real SQLite store: an app registered inside its
// own job (a catalog install) is `provisioned` once the job succeeded — so what needs a deployed app (upgrade,
// restart) is admitted — while its server's state is left alone; an app never deployed is refused with STATE.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InfraktError } from '../../src/core/errors.js';
import { createApp } from '../../src/services/apps/apps.js';
import { governedJobs, stateTrackingJobs } from '../../src/services/governance/governed-jobs.js';
import type { Ctx } from '../../src/services/shared/context.js';
import { type ApiFixture, apiFixture } from './api-fixture.js';

let f: ApiFixture;
let ctx: Ctx;
let serverId: number;

const stateOf = async (table: 'apps' | 'servers', name: string) =>
  (await ctx.store.db.selectFrom(table).select('state').where('name', '=', name).executeTakeFirstOrThrow()).state;

beforeEach(async () => {
  f = apiFixture();
  ctx = { ...f.ctx };
  (ctx as { jobs: Ctx['jobs'] }).jobs = governedJobs(f.ctx.jobs, () => ctx);
  const t = new Date().toISOString();
  ({ id: serverId } = await ctx.store.db
    .insertInto('servers')
    .values({
      name: 's1',
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
      settings_json: '{}',
      created_at: t,
      updated_at: t,
    })
    .returning('id')
    .executeTakeFirstOrThrow());
});
afterEach(async () => {
  await f.cleanup();
});

async function refusal(p: Promise<unknown>): Promise<InfraktError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof InfraktError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('resource states of apps created inside their job', () => {
  it('a catalog install leaves its app provisioned and its server as it was', async () => {
    const before = await stateOf('servers', 's1');
    const install = await ctx.jobs.run(
      { kind: 'catalog.install', target: 's1/web', serverId, params: { app: 'web', entry: 'webapp' } },
      async () => createApp(ctx, { server: 's1', name: 'web', image: 'nginx:alpine' }),
    );
    expect(install.result.name).toBe('web');
    expect(await stateOf('apps', 'web')).toBe('provisioned');
    expect(await stateOf('servers', 's1')).toBe(before);

    // What needs a deployed app is admitted now.
    const appId = install.result.id;
    const upgrade = await ctx.jobs.run(
      { kind: 'catalog.upgrade', target: 's1/web', serverId, appId, params: { app: 'web' } },
      async () => 'upgraded',
    );
    expect(upgrade.result).toBe('upgraded');
  });

  it('an app that never ran is refused what needs a deployed one, naming the allowed next steps', async () => {
    const app = await createApp(ctx, { server: 's1', name: 'idle', image: 'nginx:alpine' });
    const e = await refusal(
      ctx.jobs.run({ kind: 'app.restart', target: 's1/idle', serverId, appId: app.id }, async () => 'ran'),
    );
    expect(e.code).toBe('STATE');
    expect(e.message).toContain('app idle is in state provision');
    expect(e.hint).toContain('app.deploy');
  });

  it('a failed install moves nothing', async () => {
    const e = await refusal(
      ctx.jobs.run({ kind: 'catalog.install', target: 's1/half', serverId, params: { app: 'half' } }, async () => {
        await createApp(ctx, { server: 's1', name: 'half', image: 'nginx:alpine' });
        throw new InfraktError('COMMAND_FAILED', 'the deploy failed');
      }),
    );
    expect(e.code).toBe('COMMAND_FAILED');
    expect(await stateOf('apps', 'half')).toBe('provision');
  });
});

describe('the local CLI runner (no gate, states tracked)', () => {
  it('a deploy from the CLI leaves the app provisioned, so the API admits a restart; it never refuses', async () => {
    const cli: Ctx = { ...f.ctx };
    (cli as { jobs: Ctx['jobs'] }).jobs = stateTrackingJobs(f.ctx.jobs, () => cli);
    const app = await createApp(cli, { server: 's1', name: 'web', image: 'nginx:alpine' });
    // The owner on this machine is not gated: a restart of a never-deployed app runs as before.
    expect(
      (await cli.jobs.run({ kind: 'app.restart', target: 's1/web', serverId, appId: app.id }, async () => 1)).result,
    ).toBe(1);
    expect(await stateOf('apps', 'web')).toBe('provision');
    await cli.jobs.run({ kind: 'app.deploy', target: 's1/web', serverId, appId: app.id }, async () => 'deployed');
    expect(await stateOf('apps', 'web')).toBe('provisioned');
    // Through the API's gate (the dashboard), what needs a deployed app is admitted now.
    const restart = await ctx.jobs.run(
      { kind: 'app.restart', target: 's1/web', serverId, appId: app.id },
      async () => 2,
    );
    expect(restart.result).toBe(2);
  });
});
