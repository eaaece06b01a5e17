// Database services against a real SQLite store: bad input is a clear InfraktError and changes nothing
// (no record, no job, no connection); the password is never stored locally.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InfraktError } from '../../src/core/errors.js';
import { prepareBackup, prepareRestore } from '../../src/services/databases/backups.js';
import { prepareSchedule } from '../../src/services/databases/backups-schedule.js';
import {
  getDatabase,
  listDatabases,
  prepareCreateDatabase,
  prepareDestroyDatabase,
} from '../../src/services/databases/databases.js';
import { openTestState, removeDir, type TestState, tempDir } from '../helpers/state.js';

let state: TestState;
let dir: string;

beforeEach(async () => {
  dir = tempDir();
  state = openTestState(`${dir}/home`);
  const now = '2026-01-01T00:00:00.000Z';
  const server = await state.ctx.store.db
    .insertInto('servers')
    .values({
      name: 's1',
      host: '127.0.0.1',
      port: 22,
      user: 'root',
      key_path: null,
      provider: null,
      root_dir: '/opt/infrakt',
      status: 'active',
      host_key_fingerprint: null,
      host_key: null,
      settings_json: '{}',
      last_checked_at: null,
      last_error: null,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await state.ctx.store.db
    .insertInto('apps')
    .values({
      server_id: server.id,
      name: 'web',
      app_type: 'image',
      domain: null,
      port: 3000,
      git_repo: null,
      branch: null,
      image: 'nginx:alpine',
      status: 'created',
      settings_json: '{}',
      current_release: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
});
afterEach(async () => {
  await state.close();
  removeDir(dir);
});

const appCount = async () => (await state.ctx.store.db.selectFrom('apps').select('id').execute()).length;
async function fails(p: Promise<unknown>, code: string, re: RegExp) {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(InfraktError);
  expect((e as InfraktError).code).toBe(code);
  expect((e as InfraktError).message).toMatch(re);
}

describe('db create: bad input changes nothing', () => {
  const base = { server: 's1', name: 'mydb', type: 'postgres' };
  it.each([
    [{ ...base, type: 'oracle' }, 'VALIDATION', /invalid type: must be one of: postgres, mysql, mariadb, redis, mongo/],
    [{ ...base, name: 'My_DB' }, 'VALIDATION', /invalid name/],
    [{ ...base, name: 'a;rm -rf /' }, 'VALIDATION', /invalid name/],
    [{ ...base, version: '16 ; rm' }, 'VALIDATION', /invalid version/],
    [{ ...base, version: '-16' }, 'VALIDATION', /invalid version/],
    [{ ...base, version: `1${'0'.repeat(64)}` }, 'VALIDATION', /invalid version/],
    [{ ...base, name: 'web' }, 'CONFLICT', /an app named 'web' already exists on server 's1'/],
    [{ ...base, server: 'nope' }, 'NOT_FOUND', /server 'nope' not found/],
    [{ ...base, saveToEnv: 'ghost' }, 'NOT_FOUND', /app 'ghost' not found/],
    [{ ...base, envKey: 'X' }, 'VALIDATION', /--env-key goes with --save-to-env/],
    [{ ...base, saveToEnv: 'web', envKey: 'bad-key' }, 'VALIDATION', /invalid env key/],
  ])('%j → %s', async (input, code, re) => {
    await fails(prepareCreateDatabase(state.ctx, input), code, re);
    expect(await appCount()).toBe(1);
  });

  it('records a valid database as deploying (the name is taken) with defaults and no secret', async () => {
    const plan = await prepareCreateDatabase(state.ctx, base);
    expect(plan.spec.kind).toBe('db.create');
    expect(plan.spec.locks).toHaveLength(1);
    const [db] = await listDatabases(state.ctx);
    expect(db).toMatchObject({
      name: 'mydb',
      type: 'postgres',
      version: '16',
      image: 'postgres:16',
      status: 'deploying',
    });
    await fails(prepareCreateDatabase(state.ctx, base), 'CONFLICT', /a database named 'mydb' already exists/);
    const defaults = { mysql: 'mysql:8', redis: 'redis:7-alpine', mongo: 'mongo:7' };
    for (const [type, image] of Object.entries(defaults)) {
      await prepareCreateDatabase(state.ctx, { server: 's1', name: `d-${type}`, type });
      expect((await getDatabase(state.ctx, `d-${type}`)).image).toBe(image);
    }
    // Apps list without databases; `web` is not a database.
    await fails(getDatabase(state.ctx, 'web'), 'NOT_FOUND', /database 'web' not found/);
  });
});

describe('backup, restore, schedule, destroy: bad input', () => {
  beforeEach(async () => {
    await prepareCreateDatabase(state.ctx, { server: 's1', name: 'mydb', type: 'postgres', version: '15' });
  });
  it('rejects unknown databases and bad backup names before anything runs', async () => {
    await fails(prepareBackup(state.ctx, 'nope'), 'NOT_FOUND', /database 'nope' not found/);
    await fails(prepareBackup(state.ctx, 'mydb', { keep: -1 }), 'VALIDATION', /--keep/);
    for (const bad of ['../../etc/passwd', 'x.dump', '20260101T000000Z.tar', '20260101T000000Z.dump; rm -rf /'])
      await fails(prepareRestore(state.ctx, 'mydb', bad), 'VALIDATION', /not a backup file name/);
    await fails(prepareRestore(state.ctx, 'web', '20260101T000000Z.dump'), 'NOT_FOUND', /database 'web'/);
    await fails(prepareDestroyDatabase(state.ctx, 'web'), 'NOT_FOUND', /database 'web'/);
  });
  it('validates schedules', async () => {
    await fails(prepareSchedule(state.ctx, 'mydb', { cron: '0 3 * *' }), 'VALIDATION', /expected 5 fields/);
    await fails(prepareSchedule(state.ctx, 'mydb', { cron: '0 3 * * *', keep: 0 }), 'VALIDATION', /--keep/);
    await fails(prepareSchedule(state.ctx, 'mydb', { cron: null }), 'STATE', /has no backup schedule/);
    const plan = await prepareSchedule(state.ctx, 'mydb', { cron: '0 3 * * *', keep: 3 });
    expect(plan.spec.params).toEqual({ database: 'mydb', cron: '0 3 * * *', keep: 3 });
  });
});
