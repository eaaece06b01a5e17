// The SSRF guard for https git sources in the service layer (shared by CLI and API): at app create, and again
// right before the deploy fetches (the name may resolve elsewhere by then). Resolvers are injected: no DNS.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJobRunner, type JobRunner } from '../../../src/adapters/jobs/runner.js';
import { createApp, listApps } from '../../../src/services/apps/apps.js';
import { prepareDeploy } from '../../../src/services/apps/deploy/deploy-app.js';
import { listDeployments } from '../../../src/services/apps/releases.js';
import { registerServer } from '../../../src/services/servers/servers.js';
import type { Ctx } from '../../../src/services/shared/context.js';
import { runPlan } from '../../../src/services/shared/job-plan.js';
import { RecordingExecutor } from '../../harness/recording-executor.js';
import { openTestState, type TestState } from '../../helpers/state.js';

describe('https git sources must resolve to public addresses', () => {
  let state: TestState;
  let jobs: JobRunner;
  let ex: RecordingExecutor;
  let ctx: Ctx;
  let answer: string[];

  beforeEach(async () => {
    state = openTestState();
    jobs = createJobRunner({ store: state.ctx.store, clock: { now: () => new Date() }, actor: 'tester' });
    ex = new RecordingExecutor();
    ex.on('version --short', { stdout: 'v2\n' });
    answer = ['140.82.112.3'];
    ctx = { ...state.ctx, jobs, connect: async () => ex, resolve: async () => answer };
    await registerServer(ctx, { name: 'box', host: '10.0.0.5', root: '/srv/ikt' });
  });

  afterEach(async () => {
    jobs.close();
    await state.close();
  });

  it('app create refuses a host resolving to a private address, and creates nothing', async () => {
    answer = ['140.82.112.3', '169.254.169.254'];
    const err = await createApp(ctx, { server: 'box', name: 'site', git: 'https://git.example.com/site.git' }).catch(
      (e) => e,
    );
    expect(err).toMatchObject({ code: 'VALIDATION' });
    expect(err.message).toMatch(/non-public address/);
    expect(await listApps(ctx, {})).toEqual([]);
  });

  it('app create accepts a public host and a repository path on the server (not resolved)', async () => {
    let asked = 0;
    const c = {
      ...ctx,
      resolve: async () => {
        asked++;
        return answer;
      },
    };
    await createApp(c, { server: 'box', name: 'site', git: 'https://git.example.com/site.git' });
    await createApp(c, { server: 'box', name: 'local', git: '/srv/repos/local.git' });
    expect(asked).toBe(1);
    expect((await listApps(ctx, {})).map((a) => a.name).sort()).toEqual(['local', 'site']);
  });

  it('deploy checks again before fetching: a name rebound to loopback is refused, nothing fetched', async () => {
    await createApp(ctx, { server: 'box', name: 'site', git: 'https://git.example.com/site.git' });
    answer = ['127.0.0.1'];
    const err = await runPlan(ctx, await prepareDeploy(ctx, 'site')).catch((e) => e);
    expect(err).toMatchObject({ code: 'VALIDATION' });
    expect(err.message).toMatch(/non-public address/);
    expect(ex.commands.some((c) => c.includes('git.example.com'))).toBe(false);
    const [dep] = await listDeployments(ctx, 'site');
    expect(dep?.status).toBe('failed');
  });

  it('deploy pins the fetch to the addresses its own check accepted, and refuses redirects', async () => {
    await createApp(ctx, { server: 'box', name: 'site', git: 'https://git.example.com/site.git' });
    // The name now resolves elsewhere (still public): git must use what this deploy checked, not resolve again.
    answer = ['140.82.112.4', '2606:50c0:8000::154'];
    await runPlan(ctx, await prepareDeploy(ctx, 'site')).catch(() => undefined);
    const fetch = ex.commands.find((c) => c.includes(' clone '));
    expect(fetch).toBeDefined();
    expect(fetch).toContain("'http.followRedirects=false'");
    expect(fetch).toContain("'http.curloptResolve=git.example.com:443:140.82.112.4,[2606:50c0:8000::154]'");
    expect(fetch).not.toContain('140.82.112.3');
  });

  it('a URL stored before the canonical check (backslash trick) is refused at deploy, nothing fetched', async () => {
    await createApp(ctx, { server: 'box', name: 'site', git: 'https://git.example.com/site.git' });
    await ctx.store.db
      .updateTable('apps')
      .set({ git_repo: 'https://8.8.8.8\\@127.0.0.1:8443/x.git' })
      .where('name', '=', 'site')
      .execute();
    const err = await runPlan(ctx, await prepareDeploy(ctx, 'site')).catch((e) => e);
    expect(err).toMatchObject({ code: 'VALIDATION' });
    expect(ex.commands.some((c) => c.includes('clone'))).toBe(false);
  });

  describe('SSH sources', () => {
    const HOST_KEY = `ssh-ed25519 ${'A'.repeat(68)}`;
    const URL = 'git@git.example.com:org/site.git';

    beforeEach(() => {
      ex.on('ssh-keyscan', { stdout: `git.example.com ${HOST_KEY}\n` });
    });

    it('deploy connects to the address its own check accepted (the name resolved elsewhere by then)', async () => {
      let asked = 0;
      const answers = [['140.82.112.3'], ['2606:50c0:8000::154', '140.82.112.4']];
      const c: Ctx = { ...ctx, resolve: async () => answers[Math.min(asked++, 1)]! };
      await createApp(c, { server: 'box', name: 'site', git: URL });
      await runPlan(c, await prepareDeploy(c, 'site')).catch(() => undefined);
      expect(asked).toBe(2);
      // The host keys are read from the checked address, and the fetch connects there under the pinned name.
      expect(ex.commands.find((x) => x.includes('ssh-keyscan'))).toContain('-- 140.82.112.4 ');
      const fetch = ex.commands.find((x) => x.includes('GIT_SSH_COMMAND'));
      expect(fetch).toBeDefined();
      expect(fetch).toContain('HostName=140.82.112.4');
      expect(fetch).toContain('HostKeyAlias=git.example.com');
      expect(fetch).not.toContain('140.82.112.3');
      // The pinned key is written under the repository's host name (what HostKeyAlias looks up).
      expect(ex.puts.find((p) => p.path.endsWith('/known_hosts'))?.content).toBe(`git.example.com ${HOST_KEY}\n`);
    });

    it('a name rebound to loopback before the fetch is refused: no scan, no fetch', async () => {
      await createApp(ctx, { server: 'box', name: 'site', git: 'ssh://git@git.example.com:2222/org/site.git' });
      answer = ['127.0.0.1'];
      const err = await runPlan(ctx, await prepareDeploy(ctx, 'site')).catch((e) => e);
      expect(err).toMatchObject({ code: 'VALIDATION' });
      expect(err.message).toMatch(/non-public address/);
      expect(ex.commands.some((x) => x.includes('ssh-keyscan') || x.includes('GIT_SSH_COMMAND'))).toBe(false);
    });

    it('a non-default port: the alias is the known_hosts name [host]:port', async () => {
      await createApp(ctx, { server: 'box', name: 'site', git: 'ssh://git@git.example.com:2222/org/site.git' });
      answer = ['140.82.112.9'];
      await runPlan(ctx, await prepareDeploy(ctx, 'site')).catch(() => undefined);
      const fetch = ex.commands.find((x) => x.includes('GIT_SSH_COMMAND'));
      expect(fetch).toContain('HostName=140.82.112.9');
      expect(fetch).toContain('HostKeyAlias=[git.example.com]:2222');
      expect(ex.puts.find((p) => p.path.endsWith('/known_hosts'))?.content).toBe(
        `[git.example.com]:2222 ${HOST_KEY}\n`,
      );
    });
  });
});
