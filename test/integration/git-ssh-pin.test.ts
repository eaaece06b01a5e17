// An SSH git fetch pinned to the address the SSRF check accepted (DNS rebinding), on real parts: the real git and
// OpenSSH clients run by the deploy's own fetch code (`runGitFetch`, this machine as the server), against two
// harness sshd git hosts on the same port and with the same host key: the checked one on 127.0.0.2 serving the
// real repository, and on 127.0.0.1 — where the repository's name (`localhost`) resolves at fetch time — a decoy
// that serves another repository whatever is asked. Only the address decides which one git reaches.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalExecutor } from '../../src/adapters/local/local-executor.js';
import * as git from '../../src/core/commands/git.js';
import { appLayout } from '../../src/core/plans/layout.js';
import { createApp } from '../../src/services/apps/apps.js';
import type { CheckedGitSource } from '../../src/services/apps/git-access.js';
import { runGitFetch } from '../../src/services/apps/git-fetch.js';
import { getServerRow, registerServer } from '../../src/services/servers/servers.js';
import { setServerSettings } from '../../src/services/servers/settings.js';
import { makeRepo, type TestRepo } from '../harness/git-hosts.js';
import { type SshdHost, startSshd, stopAllSshd } from '../harness/sshd.js';
import { openTestState, removeDir, type TestState, tempDir } from '../helpers/state.js';

let state: TestState;
let real: TestRepo;
let decoy: TestRepo;
let checkedHost: SshdHost;
let reboundHost: SshdHost;
let root: string;
const ex = new LocalExecutor();

beforeAll(async () => {
  real = makeRepo({ 'marker.txt': 'real\n' });
  decoy = makeRepo({ 'marker.txt': 'decoy\n' });
  root = tempDir('ikt-test-sshpin-');
  const keyPath = join(root, 'host_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyPath]);
  const hostKeyPrivate = readFileSync(keyPath, 'utf8');
  // Same port on two loopback addresses (retried if the port is taken on 127.0.0.1 meanwhile).
  for (let attempt = 0; ; attempt++) {
    checkedHost = await startSshd({ listenAddress: '127.0.0.2', authorizedKeys: '', hostKeyPrivate });
    try {
      reboundHost = await startSshd({
        listenAddress: '127.0.0.1',
        port: checkedHost.port,
        authorizedKeys: '',
        hostKeyPrivate,
        extraConfig: [`ForceCommand git-upload-pack '${decoy.bare}'`],
      });
      break;
    } catch (e) {
      await checkedHost.stop();
      if (attempt >= 5) throw e;
    }
  }
  state = openTestState();
  await registerServer(state.ctx, { name: 'box', host: 'local', root: join(root, 'server') });
  // `localhost` is a private name: only a server allowing private git hosts takes it at create (the deploy's
  // check is replaced below by what it returns for a public name: the accepted address).
  await setServerSettings(state.ctx, 'box', { allowPrivateGit: 'on' });
  await createApp(state.ctx, {
    server: 'box',
    name: 'site',
    git: `ssh://root@localhost:${checkedHost.port}${real.bare}`,
  });
  // The deploy key made at create: only it may log in to either git host.
  const row = await state.ctx.store.db.selectFrom('apps').select('settings_json').executeTakeFirstOrThrow();
  const publicKey: string = JSON.parse(row.settings_json ?? '{}').git.deployKey.publicKey;
  for (const h of [checkedHost, reboundHost]) writeFileSync(join(h.dir, 'authorized_keys'), `${publicKey}\n`);
}, 60_000);

afterAll(async () => {
  await stopAllSshd();
  await state?.close();
  real?.remove();
  decoy?.remove();
  if (root) removeDir(root);
});

async function fetchWith(checked: CheckedGitSource | null): Promise<{ marker: string; log: string[] }> {
  const app = await state.ctx.store.db.selectFrom('apps').selectAll().executeTakeFirstOrThrow();
  const server = await getServerRow(state.ctx, 'box');
  const layout = appLayout(server.root_dir, app.name);
  const log: string[] = [];
  await runGitFetch(
    {
      ctx: state.ctx,
      ex,
      job: { signal: AbortSignal.timeout(120_000), addSecrets: () => undefined },
      app,
      server,
      layout,
      log: (l) => log.push(l),
      checked,
    },
    git.syncBranch(app.git_repo!, 'main', layout.srcDir),
  );
  return { marker: readFileSync(join(layout.srcDir, 'marker.txt'), 'utf8').trim(), log };
}

describe('an SSH fetch pinned to the checked address', () => {
  it('control: unpinned, ssh reaches what the name resolves to now (the decoy)', async () => {
    const r = await fetchWith(null);
    expect(r.marker).toBe('decoy');
    // First use pinned the host key (the same on both hosts, so only the address tells them apart).
    expect(r.log.join('\n')).toContain(`pinned the git host key of localhost (first use): ${checkedHost.fingerprint}`);
  }, 120_000);

  it('pinned: the fetch goes to the checked address only, under the pinned host key', async () => {
    const before = reboundHost.connectionCount();
    const checked: CheckedGitSource = {
      kind: 'ssh',
      host: 'localhost',
      port: checkedHost.port,
      addresses: ['127.0.0.2'],
    };
    const r = await fetchWith(checked);
    expect(r.marker).toBe('real');
    expect(r.log.join('\n')).toContain('at 127.0.0.2 (the address checked on the control host)');
    expect(reboundHost.connectionCount()).toBe(before);
    expect(checkedHost.connectionCount()).toBeGreaterThan(0);
  }, 120_000);

  it('pinned to an address with another host key: the fetch fails as a changed host key', async () => {
    const other = await startSshd({ listenAddress: '127.0.0.3', port: checkedHost.port, authorizedKeys: '' });
    const checked: CheckedGitSource = {
      kind: 'ssh',
      host: 'localhost',
      port: checkedHost.port,
      addresses: ['127.0.0.3'],
    };
    const err = await fetchWith(checked).catch((e) => e);
    expect(err).toMatchObject({ code: 'HOST_KEY_MISMATCH' });
    expect(other.connectionCount()).toBeGreaterThan(0);
    await other.stop();
  }, 120_000);
});
