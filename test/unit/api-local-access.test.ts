// What an API client may make the control host do (issue 11 items 6 and 7): key files only from
// $INFRAKT_HOME/keys (one error for missing, unreadable, elsewhere or a link leading out), and no
// `host: local` server unless the operator started the API with --allow-local-server.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/adapters/connect.js';
import { registerServer } from '../../src/services/servers/servers.js';
import type { Connect } from '../../src/services/shared/context.js';
import { type ApiFixture, apiFixture, body } from './api-fixture.js';

let f: ApiFixture;
let scratch: string | undefined;
afterEach(async () => {
  await f?.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const add = (json: Record<string, unknown>) =>
  f.req('/api/servers', { method: 'POST', json: { name: 'web-1', host: '203.0.113.5', ...json } });

async function settled(id: string) {
  for (let i = 0; i < 500; i++) {
    const job = await body(await f.req(`/api/jobs/${id}`));
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`job ${id} did not finish`);
}

describe('keyPath over the API', () => {
  it('only a readable regular file inside $INFRAKT_HOME/keys, by name or full path', async () => {
    f = apiFixture();
    const keys = f.ctx.paths.keys;
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keys, 'deploy')]);
    const byName = await add({ keyPath: 'deploy' });
    expect(byName.status).toBe(201);
    expect((await body(byName)).keyPath).toBe(join(keys, 'deploy'));
    const byPath = await add({ name: 'web-2', keyPath: join(keys, 'deploy') });
    expect(byPath.status).toBe(201);
  });

  it('anything else is refused with one message that never tells whether the file exists', async () => {
    f = apiFixture();
    const keys = f.ctx.paths.keys;
    scratch = mkdtempSync(join(tmpdir(), 'ikt-test-keys-'));
    writeFileSync(join(scratch, 'real-key'), 'x');
    execFileSync('mkfifo', [join(keys, 'fifo')]);
    symlinkSync(join(scratch, 'real-key'), join(keys, 'link-out'));
    symlinkSync('/etc/passwd', join(keys, 'link-passwd'));
    const messages = new Map<string, string>();
    for (const keyPath of [
      '/etc/passwd',
      '/etc/does-not-exist',
      join(scratch, 'real-key'),
      join(keys, '..', 'master.key'),
      '../master.key',
      '/dev/zero',
      'fifo',
      'missing',
      'link-out',
      'link-passwd',
      '.',
      '',
    ]) {
      const res = await add({ keyPath });
      expect(res.status, keyPath).toBe(400);
      const err = (await body(res)).error;
      expect(err.code).toBe('VALIDATION');
      messages.set(keyPath, err.message.replace(keyPath, '<path>'));
    }
    // Outside the directory: the same answer whether the file exists or not.
    expect(messages.get('/etc/passwd')).toBe(messages.get('/etc/does-not-exist'));
    expect(messages.get(join(scratch, 'real-key'))).toBe(messages.get('/etc/does-not-exist'));
    // Inside: missing, a FIFO and links leading out all read alike.
    expect(new Set(['fifo', 'missing', 'link-out', 'link-passwd'].map((k) => messages.get(k))).size).toBe(1);
    expect((await body(await f.req('/api/servers'))).length).toBe(0);
  });
});

describe('host local over the API', () => {
  it('cannot be registered without --allow-local-server', async () => {
    f = apiFixture();
    const res = await add({ host: 'local' });
    expect(res.status).toBe(403);
    expect((await body(res)).error.hint).toMatch(/--allow-local-server/);
    expect((await body(await f.req('/api/servers'))).length).toBe(0);
  });

  it('a local server added with the CLI runs nothing through the API; the opt-in allows it', async () => {
    scratch = mkdtempSync(join(tmpdir(), 'ikt-test-local-'));
    const marker = join(scratch, 'MARK');
    for (const allowLocalServer of [false, true]) {
      f = apiFixture({ connect: connect as Connect, allowLocalServer });
      await registerServer(f.ctx, { name: 'here', host: 'local' });
      const res = await f.req('/api/servers/here/exec', { method: 'POST', json: { command: `touch ${marker}` } });
      expect(res.status).toBe(202);
      const job = await settled((await body(res)).jobId);
      if (!allowLocalServer) {
        expect(job.status).toBe('failed');
        expect(job.error.code).toBe('FORBIDDEN');
        expect(existsSync(marker)).toBe(false);
        expect((await add({ name: 'here-2', host: 'local' })).status).toBe(403);
      } else {
        expect(existsSync(marker)).toBe(true);
        expect((await add({ name: 'here-2', host: 'local' })).status).toBe(201);
      }
      await f.cleanup();
    }
    f = apiFixture();
  });
});
