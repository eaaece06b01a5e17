import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { render } from '../../src/core/cmd/index.js';
import * as lock from '../../src/core/commands/lock.js';
import {
  acquireRemoteLock,
  breakRemoteLock,
  listRemoteLocks,
  readRemoteLock,
  releaseRemoteLock,
} from '../../src/services/shared/remote-lock.js';
import { shExecutor } from '../harness/sh-executor.js';

describe('remote lock builders (exact commands)', () => {
  it('acquire: atomic mkdir, owner from stdin via temp file + mv, exit 3 with the owner when held', () => {
    expect(render(lock.acquire('/opt/infrakt', 'app-api'))).toBe(
      'mkdir -p -- /opt/infrakt/locks && { { mkdir -- /opt/infrakt/locks/app-api.lock 2> /dev/null && cat > /opt/infrakt/locks/app-api.lock/owner.tmp && mv -f -- /opt/infrakt/locks/app-api.lock/owner.tmp /opt/infrakt/locks/app-api.lock/owner; } || { cat -- /opt/infrakt/locks/app-api.lock/owner 2> /dev/null; exit 3; }; }',
    );
  });
  it('release: only when the owner file still carries our token', () => {
    expect(render(lock.release('/opt/infrakt', 'app-api', 'abc123'))).toBe(
      "grep -qxF -- 'token=abc123' /opt/infrakt/locks/app-api.lock/owner 2> /dev/null && rm -rf -- /opt/infrakt/locks/app-api.lock",
    );
  });
  it('break and read', () => {
    expect(render(lock.breakLock('/srv/x/', 'db'))).toBe(
      'cat -- /srv/x/locks/db.lock/owner 2> /dev/null; rm -rf -- /srv/x/locks/db.lock',
    );
    expect(render(lock.readOwner('/srv/x', 'db'))).toBe('cat -- /srv/x/locks/db.lock/owner 2> /dev/null');
  });
  it('list', () => {
    expect(render(lock.list('/opt/infrakt'))).toBe(
      `find /opt/infrakt/locks -mindepth 2 -maxdepth 2 -name owner -exec awk '{ print FILENAME "\\t" $0 }' '{}' + 2> /dev/null`,
    );
  });
  it('refuses names and roots that could escape the lock directory', () => {
    for (const bad of ['../x', 'a/b', '', 'A', '-x', 'a b', 'x..y'])
      expect(() => lock.lockPaths('/opt', bad)).toThrow();
    for (const bad of ['opt', '/opt/../etc']) expect(() => lock.lockPaths(bad, 'x')).toThrow();
  });
  it('owner file round trip; newlines cannot inject fields', () => {
    const o = { holder: 'eve\ntoken=mine', jobId: 'j_1', since: '2026-01-01T00:00:00.000Z', token: 't1' };
    expect(lock.ownerFile(o)).toBe('holder=eve token=mine\njob=j_1\nsince=2026-01-01T00:00:00.000Z\ntoken=t1\n');
    expect(lock.parseOwner(lock.ownerFile(o))).toEqual({ ...o, holder: 'eve token=mine' });
  });
});

describe('remote lock on a real shell', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ikt-test-rlock-'));
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('one of two contenders wins; the other gets LOCKED naming the holder', async () => {
    const ex = shExecutor();
    const a = acquireRemoteLock(ex, {
      root,
      name: 'app-api',
      holder: 'alice@laptop (cli)',
      jobId: 'j_a',
      server: 'web-1',
    });
    const b = acquireRemoteLock(ex, { root, name: 'app-api', holder: 'bob@desk (cli)', jobId: 'j_b', server: 'web-1' });
    const [ra, rb] = await Promise.allSettled([a, b]);
    const won = [ra, rb].filter((r) => r.status === 'fulfilled');
    const lost = [ra, rb].filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const winner = (won[0] as PromiseFulfilledResult<Awaited<typeof a>>).value;
    expect(lost[0]!.reason).toMatchObject({
      code: 'LOCKED',
      message: expect.stringContaining(
        `app-api on sh@test is locked by ${winner.owner.holder} since ${winner.owner.since} (job ${winner.owner.jobId})`,
      ),
      hint: expect.stringContaining('infrakt lock break app-api --server web-1'),
    });
    expect(readFileSync(join(root, 'locks/app-api.lock/owner'), 'utf8')).toContain(`token=${winner.owner.token}`);
    expect(await readRemoteLock(ex, { root, name: 'app-api' })).toEqual(winner.owner);
    expect(await listRemoteLocks(ex, { root })).toEqual([{ name: 'app-api', owner: winner.owner }]);
    // The owner (with its token) went over stdin, never on a command line.
    for (const c of ex.commands) expect(c).not.toContain('holder=');
    expect(await releaseRemoteLock(ex, winner)).toEqual({ released: true });
    expect(existsSync(join(root, 'locks/app-api.lock'))).toBe(false);
    expect(await listRemoteLocks(ex, { root })).toEqual([]);
  });

  it('release leaves a lock broken and re-taken by someone else alone', async () => {
    const ex = shExecutor();
    const mine = await acquireRemoteLock(ex, { root, name: 'x', holder: 'me' });
    expect((await breakRemoteLock(ex, { root, name: 'x' })).holder).toBe('me');
    const theirs = await acquireRemoteLock(ex, { root, name: 'x', holder: 'them' });
    expect(await releaseRemoteLock(ex, mine)).toEqual({ released: false });
    expect((await readRemoteLock(ex, { root, name: 'x' }))?.token).toBe(theirs.owner.token);
  });

  it('waits for a lock up to waitMs; a stale holder (isStale) is broken once', async () => {
    const ex = shExecutor();
    const first = await acquireRemoteLock(ex, { root, name: 'x', holder: 'first' });
    const waiting = acquireRemoteLock(ex, { root, name: 'x', holder: 'second', waitMs: 5000 });
    await new Promise((r) => setTimeout(r, 100));
    await releaseRemoteLock(ex, first);
    const second = await waiting;
    const third = await acquireRemoteLock(ex, {
      root,
      name: 'x',
      holder: 'third',
      isStale: (o) => o.holder === 'second',
    });
    expect(third.owner.holder).toBe('third');
    expect(await releaseRemoteLock(ex, second)).toEqual({ released: false });
    await expect(breakRemoteLock(ex, { root, name: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
