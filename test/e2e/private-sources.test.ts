// Private git sources end to end through the built CLI, on real parts: a harness sshd as the git host that
// knows only the app's deploy key, its host key pinned on first use and a changed host key failing the fetch,
// an exact commit fetched with the deploy key;
// and a token-protected https git host (git http-backend behind Node https) whose token never shows in the
// server's process list (sampled during the fetch), the job log, .git/config or any file of the server root.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type HttpsGitHost,
  makeRepo,
  makeTls,
  type SshGitHost,
  startHttpsGitHost,
  startSshGitHost,
  type TestRepo,
  type TestTls,
} from '../harness/git-hosts.js';
import { filesContaining } from '../helpers/state.js';
import { type DeployEnv, deployEnv, get, rand, removeAppImages } from './deploy-harness.js';

const DOCKERFILE = 'FROM infrakt-test/web:2\nCOPY index.html /www/index.html\n';
const TOKEN = `ghp_${rand()}${rand()}${rand()}`;

/** Samples the process list (every command line on this machine, which is the server) until stopped. */
function psSampler() {
  const samples: string[] = [];
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const out = await new Promise<string>((resolve) =>
        execFile('ps', ['-eo', 'args'], { maxBuffer: 16 * 1024 * 1024 }, (_e, so) => resolve(String(so))),
      );
      samples.push(out);
      await new Promise((r) => setTimeout(r, 15));
    }
  })();
  return {
    samples,
    async done() {
      stop = true;
      await loop;
    },
  };
}

describe('private git sources (built CLI, sshd git host, https git host, Docker, Caddy)', () => {
  let env: DeployEnv;
  let tls: TestTls;
  let sshHost: SshGitHost;
  let https: HttpsGitHost;
  let sshRepo: TestRepo;
  let httpsRepo: TestRepo;
  const sshApp = `ikt-test-${rand()}`;
  const httpsApp = `ikt-test-${rand()}`;

  beforeAll(async () => {
    tls = makeTls();
    // The server trusts the https git host's certificate the way it would trust a public CA.
    env = await deployEnv({ sshd: { setEnv: { GIT_SSL_CAINFO: tls.certPath } } });
    await env.ok(['server', 'set', env.server, '--allow-private-git', 'on']);
    sshRepo = makeRepo({ Dockerfile: DOCKERFILE, 'index.html': 'over ssh one\n' });
    httpsRepo = makeRepo({ Dockerfile: DOCKERFILE, 'index.html': 'over https\n' });
    sshHost = await startSshGitHost();
    https = await startHttpsGitHost(tls, httpsRepo.dir, 'x-access-token', TOKEN);
  });

  afterAll(async () => {
    await https?.close();
    await env?.close();
    removeAppImages(sshApp);
    removeAppImages(httpsApp);
    sshRepo?.remove();
    httpsRepo?.remove();
  });

  it('deploys over SSH with the app’s deploy key only; the git host key is pinned on first use', async () => {
    const created = await env.ok([
      'app',
      'create',
      '--server',
      env.server,
      '--name',
      sshApp,
      '--git',
      sshHost.url(sshRepo),
      '--port',
      '3000',
      '--domain',
      `${sshApp}.test`,
      '--health-path',
      '/health',
    ]);
    const key = (await env.ok(['app', 'deploy-key', sshApp])).stdout.trim();
    expect(key).toMatch(/^ssh-ed25519 AAAA[A-Za-z0-9+/]+ infrakt-deploy /);
    expect(created.stdout).toContain(key);

    // The git host does not know the key yet: the fetch fails, saying what to do; the host key got pinned.
    const refused = await env.cli(['app', 'deploy', sshApp, '--verbose']);
    expect(refused.code).toBe(13);
    expect(refused.stderr).toMatch(/deploy key/);
    expect(refused.stderr).toContain(`pinned the git host key of 127.0.0.1 (first use): ${sshHost.sshd.fingerprint}`);
    const show = JSON.parse((await env.ok(['app', 'show', sshApp, '--json'])).stdout);
    expect(show.settings.git.hostKeys).toEqual([sshHost.sshd.fingerprint]);

    sshHost.allow(key);
    await env.ok(['app', 'deploy', sshApp]);
    expect((await get(env.httpPort, `${sshApp}.test`)).body).toBe('over ssh one\n');
    // The private half never reached the server's disk, and the local state holds it sealed only.
    expect(filesContaining(env.host.root, 'OPENSSH PRIVATE KEY')).toEqual([]);
    expect(filesContaining(env.home, 'OPENSSH PRIVATE KEY')).toEqual([]);
  });

  it('a changed git host key fails the fetch (the release keeps serving) until the new key is pinned', async () => {
    sshRepo.commit({ 'index.html': 'over ssh two\n' }, 'two');
    await sshHost.sshd.restartWithNewHostKey();
    const r = await env.cli(['app', 'deploy', sshApp]);
    expect(r.code).toBe(12);
    expect(r.stderr).toMatch(/presents a different host key than the one pinned/);
    expect(r.stderr).toContain('--git-host-key');
    expect((await get(env.httpPort, `${sshApp}.test`)).body).toBe('over ssh one\n');

    const bad = await env.cli(['app', 'update', sshApp, '--git-host-key', 'not-a-key']);
    expect(bad.code).toBe(2);
    await env.ok(['app', 'update', sshApp, '--git-host-key', sshHost.sshd.hostKey]);
    await env.ok(['app', 'deploy', sshApp]);
    expect((await get(env.httpPort, `${sshApp}.test`)).body).toBe('over ssh two\n');

    // An exact commit (a push event, --commit) over SSH with the deploy key: the branch has moved on since.
    const three = sshRepo.commit({ 'index.html': 'over ssh three\n' }, 'three');
    sshRepo.commit({ 'index.html': 'over ssh four\n' }, 'four');
    const job = JSON.parse((await env.ok(['app', 'deploy', sshApp, '--commit', three, '--json'])).stdout);
    expect(job.params.commit).toBe(three);
    expect((await get(env.httpPort, `${sshApp}.test`)).body).toBe('over ssh three\n');
    await env.ok(['app', 'destroy', sshApp, '--force']);
  });

  it('fetches over https with a token that appears in no process list, job log, .git/config or file', async () => {
    const noToken = await env.cli([
      'app',
      'create',
      '--server',
      env.server,
      '--name',
      `ikt-test-${rand()}`,
      '--image',
      'infrakt-test/web:1',
      '--git-token',
    ]);
    expect(noToken.code).toBe(2);
    await env.ok([
      'app',
      'create',
      '--server',
      env.server,
      '--name',
      httpsApp,
      '--git',
      https.url(httpsRepo),
      '--port',
      '3000',
      '--domain',
      `${httpsApp}.test`,
      '--health-path',
      '/health',
    ]);
    // Without the token the host refuses (git's own prompt is off: no hang).
    const refused = await env.cli(['app', 'deploy', httpsApp]);
    expect(refused.code).toBe(13);
    expect(https.requests.some((q) => !q.authorized)).toBe(true);

    const set = await env.cli(['app', 'update', httpsApp, '--git-token'], { input: `${TOKEN}\n` });
    expect(set.code, set.stderr).toBe(0);
    const ps = psSampler();
    const deployed = await env.cli(['app', 'deploy', httpsApp, '--verbose']);
    await ps.done();
    expect(deployed.code, deployed.stderr).toBe(0);
    expect((await get(env.httpPort, `${httpsApp}.test`)).body).toBe('over https\n');
    expect(https.requests.filter((q) => q.authorized).length).toBeGreaterThan(0);

    // The sampler overlapped the fetch (it saw git's https helper or the credential cache at work) …
    const during = ps.samples.filter((s) => /git-remote-https|credential-cache--daemon/.test(s));
    expect(during.length).toBeGreaterThan(0);
    // … and the token was in no command line, ever.
    expect(ps.samples.filter((s) => s.includes(TOKEN))).toEqual([]);
    expect(deployed.stdout + deployed.stderr).not.toContain(TOKEN);
    const jobs = JSON.parse((await env.ok(['job', 'list', '--json'])).stdout) as { id: string }[];
    for (const j of jobs.slice(0, 3)) expect((await env.ok(['job', 'logs', j.id])).stdout).not.toContain(TOKEN);
    const gitConfig = readFileSync(`${env.host.root}/apps/${httpsApp}/src/.git/config`, 'utf8');
    expect(gitConfig).toContain(`127.0.0.1:${https.port}`);
    expect(gitConfig).not.toContain(TOKEN);
    expect(filesContaining(env.host.root, TOKEN)).toEqual([]);
    expect(filesContaining(env.home, TOKEN)).toEqual([]);
    await env.ok(['app', 'destroy', httpsApp, '--force']);
  });
});
