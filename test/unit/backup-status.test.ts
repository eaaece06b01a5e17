// The last scheduled backup of each database for `db list`: one round trip per server, in parallel, through a real
// /bin/sh standing in for each server (its own root dir); an unreachable server gives `unknown` for its databases.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InfraktError } from '../../src/core/errors.js';
import type { DatabaseView } from '../../src/core/schemas/views/databases.js';
import { scheduledStatuses } from '../../src/services/databases/backups-schedule.js';
import { registerServer } from '../../src/services/servers/servers.js';
import { shExecutor } from '../harness/sh-executor.js';
import { openTestState, removeDir, type TestState, tempDir } from '../helpers/state.js';

let dir: string;
let state: TestState;
beforeEach(() => {
  dir = tempDir();
  state = openTestState(join(dir, 'home'));
});
afterEach(async () => {
  await state.close();
  removeDir(dir);
});

const schedule = { cron: '0 3 * * *', onCalendar: '*-*-* 03:00:00', keep: 7, mechanism: 'cron' as const, unit: 'u' };
const db = (id: number, name: string, server: string): DatabaseView => ({
  id,
  name,
  server,
  type: 'redis',
  version: '7',
  image: 'redis:7',
  port: 15000 + id,
  networkHost: name,
  networkPort: 6379,
  status: 'running',
  schedule,
  createdAt: '',
  updatedAt: '',
});

describe('scheduled backup statuses', () => {
  it('reads every server and retries a dropped one, whatever the number of databases on the others', async () => {
    const roots: Record<string, string> = {};
    for (const name of ['big', 'small', 'down']) {
      roots[name] = join(dir, name);
      mkdirSync(roots[name]);
      await registerServer(state.ctx, { name, host: 'local', root: roots[name] });
    }
    const ran = (root: string, name: string, status: string) => {
      mkdirSync(join(root, 'backups', name), { recursive: true });
      writeFileSync(
        join(root, 'backups', name, 'last-schedule.json'),
        `${JSON.stringify({ status, finishedAt: `${name}-at`, message: status === 'ok' ? '' : 'boom' })}\n`,
      );
    };
    ran(roots.big!, 'a', 'ok');
    ran(roots.big!, 'b', 'failed');
    ran(roots.small!, 'c', 'ok');
    let smallAttempts = 0;
    let releaseSmall!: () => void;
    const bigDone = new Promise<void>((resolve) => {
      releaseSmall = resolve;
    });
    const ctx = {
      ...state.ctx,
      connect: async (server: { name: string }) => {
        if (server.name === 'down') throw new InfraktError('SSH_UNREACHABLE', 'cannot reach down');
        // The small server's first connection drops, once the big one has been read: the retry must still happen.
        if (server.name === 'small' && smallAttempts++ === 0) {
          await bigDone;
          throw new InfraktError('SSH_UNREACHABLE', 'connection dropped');
        }
        const ex = shExecutor();
        return {
          ...ex,
          close: async () => {
            if (server.name === 'big') releaseSmall();
          },
        };
      },
    };
    const out = await scheduledStatuses(ctx, [
      db(1, 'a', 'big'),
      db(2, 'b', 'big'),
      db(3, 'c', 'small'),
      db(4, 'd', 'down'),
    ]);
    expect(Object.fromEntries(out)).toEqual({
      1: { status: 'ok', at: 'a-at', message: null },
      2: { status: 'failed', at: 'b-at', message: 'boom' },
      3: { status: 'ok', at: 'c-at', message: null },
      4: { status: 'unknown', at: null, message: 'cannot reach down' },
    });
  });
});
