// `db backup --download` streams (issue 11 item 9): the backup is read in bounded chunks, checked against its
// recorded sha256 and kept only then; a mismatch leaves no file behind. The "server" is this machine (host
// local, the real LocalExecutor running dd/base64 in /bin/sh), so every byte goes through the real commands.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/adapters/connect.js';
import { fileSink } from '../../src/cli/download-file.js';
import { downloadBackup } from '../../src/services/databases/backups.js';
import { registerServer } from '../../src/services/servers/servers.js';
import type { Connect } from '../../src/services/shared/context.js';
import { openTestState, removeDir, type TestState, tempDir } from '../helpers/state.js';

let state: TestState;
let dir: string;
const FILE = '20261122T031500Z.rdb.gz';

beforeEach(async () => {
  dir = tempDir();
  state = openTestState(`${dir}/home`);
  const ctx = { ...state.ctx, connect: connect as Connect };
  const row = await registerServer(ctx, { name: 'here', host: 'local', root: `${dir}/root` });
  const now = new Date().toISOString();
  await state.ctx.store.db
    .insertInto('apps')
    .values({
      server_id: row.id,
      name: 'cache',
      app_type: 'db:redis',
      domain: null,
      port: 6379,
      git_repo: null,
      branch: null,
      image: null,
      status: 'running',
      settings_json: JSON.stringify({ db: { type: 'redis', version: '7' } }),
      current_release: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  mkdirSync(`${dir}/root/backups/cache`, { recursive: true });
  mkdirSync(`${dir}/out`);
});

afterEach(async () => {
  await state.close();
  removeDir(dir);
});

const ctx = () => ({ ...state.ctx, connect: connect as Connect });

describe('db backup --download', () => {
  it('copies a multi-chunk backup byte for byte, never more than one chunk at a time', async () => {
    const data = randomBytes(5 * 64 * 1024 + 123);
    writeFileSync(`${dir}/root/backups/cache/${FILE}`, data);
    const sha256 = createHash('sha256').update(data).digest('hex');
    writeFileSync(`${dir}/root/backups/cache/${FILE}.json`, JSON.stringify({ sha256 }));
    const seen: number[] = [];
    const r = await downloadBackup(ctx(), 'cache', undefined, {
      open: async (file) => {
        const sink = await fileSink(`${dir}/out`)(file);
        return {
          ...sink,
          write: async (c) => {
            seen.push(c.length);
            await sink.write(c);
          },
        };
      },
      chunkBytes: 64 * 1024,
    });
    expect(r).toMatchObject({ backup: FILE, size: data.length, sha256, path: join(`${dir}/out`, FILE) });
    expect(readFileSync(r.path).equals(data)).toBe(true);
    expect(seen.length).toBe(6);
    expect(Math.max(...seen)).toBe(64 * 1024);
    expect(readdirSync(`${dir}/out`)).toEqual([FILE]);
  });

  it('a checksum mismatch keeps nothing', async () => {
    writeFileSync(`${dir}/root/backups/cache/${FILE}`, randomBytes(1000));
    writeFileSync(`${dir}/root/backups/cache/${FILE}.json`, JSON.stringify({ sha256: 'f'.repeat(64) }));
    const err = await downloadBackup(ctx(), 'cache', FILE, { open: fileSink(`${dir}/out/x.gz`) }).catch((e) => e);
    expect(err).toMatchObject({ code: 'STATE' });
    expect(readdirSync(`${dir}/out`)).toEqual([]);
    expect(existsSync(`${dir}/out/x.gz`)).toBe(false);
  });
});
