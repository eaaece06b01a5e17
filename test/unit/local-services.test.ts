// Services over the local state that the CLI used to do itself: locks (local store and on a server through a real
// /bin/sh), init of $INFRAKT_HOME with its summary, and the API key. Real SQLite and real files in temp dirs.
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolvePaths } from '../../src/adapters/local/home.js';
import { createApp } from '../../src/services/apps/apps.js';
import { setEnv } from '../../src/services/apps/env.js';
import { registerServer } from '../../src/services/servers/servers.js';
import { acquireRemoteLock } from '../../src/services/shared/remote-lock.js';
import { currentApiKey, rotateApiKey, showApiKey } from '../../src/services/system/api-key.js';
import { homeSummary, initHome } from '../../src/services/system/home.js';
import { breakLocalLock, breakServerLock, listLocalLocks, listServerLocks } from '../../src/services/system/locks.js';
import { shExecutor } from '../harness/sh-executor.js';
import { openTestState, removeDir, type TestState, tempDir } from '../helpers/state.js';

describe('locks service', () => {
  let state: TestState;
  let dir: string;
  const insert = (name: string, holder: string) =>
    state.ctx.store
      .raw!.prepare('INSERT INTO locks (name, job_id, holder, acquired_at) VALUES (?, NULL, ?, ?)')
      .run(name, holder, '2026-01-01T00:00:00.000Z');
  beforeEach(() => {
    dir = tempDir();
    state = openTestState(join(dir, 'home'));
  });
  afterEach(async () => {
    await state.close();
    removeDir(dir);
  });

  it('lists the local locks with their holder state', async () => {
    insert('app:1', `alice (cli), pid ${process.pid} on ${hostname()}`);
    insert('app:2', 'ci (cli), pid 7 on build-box');
    expect(await listLocalLocks(state.ctx)).toEqual([
      {
        name: 'app:1',
        jobId: null,
        holder: `alice (cli), pid ${process.pid} on ${hostname()}`,
        acquiredAt: '2026-01-01T00:00:00.000Z',
        holderState: 'alive',
        jobStatus: null,
      },
      {
        name: 'app:2',
        jobId: null,
        holder: 'ci (cli), pid 7 on build-box',
        acquiredAt: '2026-01-01T00:00:00.000Z',
        holderState: 'unknown',
        jobStatus: null,
      },
    ]);
  });

  it('refuses to break a lock whose holder runs here (CONFLICT, nothing removed) unless forced', async () => {
    insert('app:1', `alice (cli), pid ${process.pid} on ${hostname()}`);
    const err = await breakLocalLock(state.ctx, 'app:1').catch((e) => e);
    expect(err).toMatchObject({ code: 'CONFLICT', message: expect.stringContaining('held by a running process') });
    expect(err.hint).toBe('cancel its job instead (infrakt job cancel <id>), or pass --force');
    expect((await listLocalLocks(state.ctx)).map((l) => l.name)).toEqual(['app:1']);
    expect((await breakLocalLock(state.ctx, 'app:1', { force: true })).name).toBe('app:1');
    expect(await listLocalLocks(state.ctx)).toEqual([]);
  });

  it('breaks a lock whose holder is gone or on another host; unknown and bad names are errors', async () => {
    insert('app:1', `alice (cli), pid 999999999 on ${hostname()}`);
    insert('app:2', 'ci (cli), pid 7 on build-box');
    expect((await breakLocalLock(state.ctx, 'app:1')).holderState).toBe('dead');
    expect((await breakLocalLock(state.ctx, 'app:2')).holder).toBe('ci (cli), pid 7 on build-box');
    await expect(breakLocalLock(state.ctx, 'app:2')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(breakLocalLock(state.ctx, 'Bad Name')).rejects.toMatchObject({ code: 'VALIDATION' });
  });

  it('lists and breaks the locks on a server (one connection each, closed)', async () => {
    const root = join(dir, 'server-root');
    mkdirSync(root);
    await registerServer(state.ctx, { name: 'box', host: 'local', root });
    const ex = shExecutor();
    let closed = 0;
    const ctx = {
      ...state.ctx,
      connect: async () => ({
        ...ex,
        close: async () => {
          closed++;
        },
      }),
    };
    await acquireRemoteLock(ex, { root, name: 'app-api', holder: 'bob (cli)', jobId: 'j_1' });
    const listed = await listServerLocks(ctx, 'box');
    expect(listed).toMatchObject([{ name: 'app-api', owner: { holder: 'bob (cli)', jobId: 'j_1' } }]);
    expect((await breakServerLock(ctx, 'box', 'app-api')).holder).toBe('bob (cli)');
    expect(await listServerLocks(ctx, 'box')).toEqual([]);
    await expect(breakServerLock(ctx, 'box', 'app-api')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(closed).toBe(4);
    await expect(listServerLocks(ctx, 'nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('home service', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeDir(dir));

  it('creates the state once (home, database, keys, master key, known_hosts); a second run changes nothing', async () => {
    const paths = resolvePaths({ INFRAKT_HOME: join(dir, 'home') });
    const first = await initHome(paths);
    expect(first).toMatchObject({ home: paths.home, dbExisted: false, changed: true, masterKey: paths.masterKey });
    expect(first.created).toEqual([paths.home, paths.db, paths.keys, paths.masterKey, paths.knownHosts]);
    expect(first.migrations.length).toBeGreaterThan(0);
    expect(statSync(paths.masterKey).mode & 0o777).toBe(0o600);
    expect(await initHome(paths)).toEqual({
      home: paths.home,
      created: [],
      migrations: [],
      dbExisted: true,
      changed: false,
      masterKey: paths.masterKey,
    });
  });

  it('a lost master key is replaced only when no env value was stored under it', async () => {
    const paths = resolvePaths({ INFRAKT_HOME: join(dir, 'home') });
    await initHome(paths);
    rmSync(paths.masterKey);
    expect((await initHome(paths)).created).toEqual([paths.masterKey]);

    const state = openTestState(paths.home);
    await registerServer(state.ctx, { name: 'box', host: 'local' });
    await createApp(state.ctx, { server: 'box', name: 'web', image: 'nginx:alpine' });
    expect(await homeSummary(state.ctx.store)).toEqual({ envValues: 0 });
    await setEnv(state.ctx, 'web', ['A=1', 'B=2']);
    expect(await homeSummary(state.ctx.store)).toEqual({ envValues: 2 });
    await state.close();

    rmSync(paths.masterKey);
    const err = await initHome(paths).catch((e) => e);
    expect(err).toMatchObject({ code: 'SECRET', message: `the master key ${paths.masterKey} is missing` });
    expect(err.hint).toBe('2 stored env value(s) need it: restore master.key from your backup');
    expect(existsSync(paths.masterKey)).toBe(false);
  });
});

describe('api key service', () => {
  it('shows (creating once), rotates, and reads the key of a home', () => {
    const dir = tempDir();
    try {
      const paths = resolvePaths({ INFRAKT_HOME: join(dir, 'home') });
      const first = showApiKey(paths);
      expect(first).toMatchObject({ file: paths.apiKey, created: true });
      expect(showApiKey(paths)).toEqual({ key: first.key, file: paths.apiKey, created: false });
      const rotated = rotateApiKey(paths);
      expect(rotated.key).not.toBe(first.key);
      expect(rotated.file).toBe(paths.apiKey);
      expect(currentApiKey(paths)).toBe(rotated.key);
      expect(statSync(paths.apiKey).mode & 0o777).toBe(0o600);
    } finally {
      removeDir(dir);
    }
  });
});
