// The privileged-options rule on a repository's own compose file, end to end: a real `infrakt serve` (the built
// CLI) and a git compose app on a harness sshd server (Docker, Caddy). A pushed compose file that mounts the
// Docker socket is refused for a deployer token's deploy, a signed webhook push and a pull request preview, the
// job naming the field, while the running release keeps serving; once an admin allows that one class for the app,
// the same commit deploys, and `privileged: true` is still refused. Then a plain release follows and the admin
// revokes the allowance: a rollback to the socket release by the deployer token is refused naming the field (the
// plain release keeps serving), while the admin's rollback to it is accepted, as the admin's deploy of it would be.
// Last, a catalog entry whose compose file mounts the socket, installed by the admin through the CLI, gets exactly
// that allowance (app show), so the deployer token's rollback of it succeeds.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, ensureCliBuilt, REPO_ROOT } from '../harness/cli.js';
import { type DeployEnv, deployEnv, docker, get, rand, removeAppImages } from './deploy-harness.js';

const gitIn = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-C', dir, '-c', 'user.name=ikt', '-c', 'user.email=ikt@test', ...args], {
    encoding: 'utf8',
  }).trim();

/** The repository's compose.yml: the routed web service on port 3000 with `extra` lines, committed. */
function commitCompose(repo: string, image: string, extra: string[], message: string): string {
  const lines = ['services:', '  web:', `    image: ${image}`, '    ports: ["3000"]', ...extra, ''];
  writeFileSync(join(repo, 'compose.yml'), lines.join('\n'));
  gitIn(repo, 'add', 'compose.yml');
  gitIn(repo, 'commit', '-q', '-m', message);
  return gitIn(repo, 'rev-parse', 'HEAD');
}

async function until<T>(what: string, ms: number, probe: () => Promise<T | null | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== null && v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The fields of API answers this test reads (a job, a 202, an error). */
interface ApiBody {
  jobId: string;
  status: string;
  error: { code: string; message: string; hint: string } | null;
}

const SOCKET = '    volumes: ["/var/run/docker.sock:/var/run/docker.sock"]';
const SOCKET_FIELD = 'services.web.volumes[0] (/var/run/docker.sock)';

describe('privileged options in a repository compose file (infrakt serve, sshd, Docker, Caddy)', () => {
  let env: DeployEnv;
  let repo: string;
  let serve: ChildProcess;
  let serveOut = '';
  let url = '';
  let apiKey = '';
  let hookPath = '';
  let hookSecret = '';
  let deployer = '';
  const app = `ikt-test-${rand()}`;
  const previewDomain = `prev-${rand()}.test`;

  const api = async (path: string, init: { method?: string; auth?: string; json?: unknown } = {}) => {
    const r = await fetch(`${url}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.auth ? { Authorization: `Bearer ${init.auth}` } : { 'X-API-Key': apiKey }),
        ...(init.json !== undefined ? { 'Content-Type': 'application/json' } : {}),
      },
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
    });
    return { status: r.status, body: (await r.json()) as ApiBody };
  };
  /** The job once it has ended (succeeded or failed), polled with a deadline. */
  const ended = (id: string) =>
    until(`job ${id}`, 150_000, async () => {
      const j = (await api(`/api/jobs/${id}`)).body;
      return ['succeeded', 'failed', 'cancelled'].includes(j.status) ? j : null;
    });
  const deliver = async (event: string, payload: unknown) => {
    const body = JSON.stringify(payload);
    const sig = createHmac('sha256', hookSecret).update(body).digest('hex');
    const r = await fetch(`${url}${hookPath}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': event,
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': `sha256=${sig}`,
      },
      body,
    });
    return { status: r.status, body: (await r.json()) as { outcome: string; jobId?: string } };
  };
  const current = async () =>
    (
      JSON.parse((await env.ok(['app', 'deployments', app, '--json'])).stdout) as {
        source: string;
        current: boolean;
      }[]
    ).find((d) => d.current)?.source;
  /** What the app serves now, and that no container of the app has the Docker socket mounted. */
  const socketMounted = () =>
    docker('ps', '-q', '--filter', `label=infrakt.app=${app}`)
      .split('\n')
      .filter(Boolean)
      .some((id) => docker('inspect', '-f', '{{range .Mounts}}{{.Source}} {{end}}', id).includes('docker.sock'));

  beforeAll(async () => {
    ensureCliBuilt();
    env = await deployEnv();
    repo = mkdtempSync(join(tmpdir(), 'ikt-test-privrepo-'));
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    commitCompose(repo, 'infrakt-test/web:1', [], 'plain');
    serve = spawn(process.execPath, [CLI_BIN, 'serve', '--port', '0'], {
      cwd: REPO_ROOT,
      env: { ...process.env, INFRAKT_HOME: env.home, NO_COLOR: '1' },
      stdio: 'pipe',
    });
    serve.stdout?.on('data', (b: Buffer) => {
      serveOut += b.toString();
    });
    serve.stderr?.on('data', (b: Buffer) => {
      serveOut += b.toString();
    });
    url = await until('infrakt serve', 30_000, async () => {
      if (serve.exitCode !== null) throw new Error(`serve exited:\n${serveOut}`);
      return /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(serveOut)?.[1];
    });
    apiKey = readFileSync(join(env.home, 'api_key'), 'utf8').trim();
    await env.ok([
      ...['app', 'create', '--server', env.server, '--name', app, '--git', repo, '--branch', 'main'],
      ...['--port', '3000', '--domain', `${app}.test`, '--health-path', '/health'],
    ]);
    const hook = JSON.parse((await env.ok(['app', 'webhook', 'enable', app, '--json'])).stdout);
    hookPath = hook.path;
    hookSecret = hook.secret;
    deployer = JSON.parse(
      (await env.ok(['token', 'create', '--name', `ci-${rand()}`, '--scope', 'deploy', '--json'])).stdout,
    ).secret;
    // The admin (local CLI) deploys the plain file: release 1 serves v1.
    await env.ok(['app', 'deploy', app]);
    expect((await get(env.httpPort, `${app}.test`)).body).toContain('version=v1');
  }, 240_000);

  afterAll(async () => {
    if (serve && serve.exitCode === null) {
      serve.kill('SIGTERM');
      await new Promise((r) => serve.once('exit', r));
    }
    await env?.close();
    removeAppImages(app);
    removeAppImages(`${app}-pr-7`);
    removeAppImages(`${app}-cat`);
    if (repo) rmSync(repo, { recursive: true, force: true });
  });

  it('the Docker socket is refused for a deployer token, a webhook push and a preview; the old release serves', async () => {
    const released = await current();
    const sha = commitCompose(repo, 'infrakt-test/web:2', [SOCKET], 'mount the socket');

    const byToken = await api(`/api/apps/${app}/deploy`, { method: 'POST', auth: deployer, json: {} });
    expect(byToken.status).toBe(202);
    const tokenJob = await ended(byToken.body.jobId);
    expect(tokenJob.status).toBe('failed');
    expect(tokenJob.error?.message).toContain(`token ci-`);
    expect(tokenJob.error?.message).toContain(`may not set ${SOCKET_FIELD} in the repository's compose.yml`);

    const push = await deliver('push', { ref: 'refs/heads/main', after: sha, before: '0'.repeat(40) });
    expect(push).toMatchObject({ status: 202, body: { outcome: 'queued' } });
    const pushJob = await ended(push.body.jobId!);
    expect(pushJob.status).toBe('failed');
    expect(pushJob.error?.message).toContain(SOCKET_FIELD);
    expect(pushJob.error?.hint).toContain('--allow-privileged docker_socket');

    // Nothing new started: the release of before still serves, no container has the socket.
    expect((await get(env.httpPort, `${app}.test`)).body).toContain('version=v1');
    expect(await current()).toBe(released);
    expect(socketMounted()).toBe(false);

    // A deployer may not allow it; an admin does, for this class only (shown, audited).
    const denied = await api(`/api/apps/${app}/privileges`, {
      method: 'PUT',
      auth: deployer,
      json: { allow: ['docker_socket'] },
    });
    expect([denied.status, denied.body.error?.code]).toEqual([403, 'FORBIDDEN']);
    await env.ok(['app', 'update', app, '--allow-privileged', 'docker_socket']);
    const shown = JSON.parse((await env.ok(['app', 'show', app, '--json'])).stdout);
    expect(shown.settings.privileges).toEqual(['docker_socket']);
    expect((await env.ok(['app', 'show', app])).stdout).toMatch(/privileges\s+docker_socket/);
    const audit = JSON.parse((await env.ok(['audit', 'list', '--json'])).stdout) as { action: string }[];
    expect(audit.map((e) => e.action)).toContain('app.privileges');

    // A preview of a pull request is its own app, with no allowance: still refused.
    await env.ok(['app', 'previews', app, '--enable', '--domain', previewDomain, '--max', '1']);
    const pr = await deliver('pull_request', {
      action: 'opened',
      number: 7,
      pull_request: { head: { sha, ref: 'main' }, base: { ref: 'main' } },
    });
    expect(pr).toMatchObject({ status: 202, body: { outcome: 'queued' } });
    const prJob = await ended(pr.body.jobId!);
    expect(prJob.status).toBe('failed');
    expect(prJob.error?.message).toContain(SOCKET_FIELD);
    expect(docker('ps', '-q', '--filter', `label=infrakt.app=${app}-pr-7`)).toBe('');
  }, 300_000);

  it('once allowed, the webhook deploys the socket mount; privileged: true is still refused', async () => {
    const sha = gitIn(repo, 'rev-parse', 'HEAD');
    // Another body than the refused push's (identical bodies count as redeliveries).
    const push = await deliver('push', {
      ref: 'refs/heads/main',
      after: sha,
      before: gitIn(repo, 'rev-parse', 'HEAD~1'),
    });
    expect(push).toMatchObject({ status: 202, body: { outcome: 'queued' } });
    const job = await ended(push.body.jobId!);
    expect([job.status, job.error?.message]).toEqual(['succeeded', undefined]);
    expect((await get(env.httpPort, `${app}.test`)).body).toContain('version=v2');
    expect(await current()).toBe(sha);
    expect(socketMounted()).toBe(true);

    const priv = commitCompose(repo, 'infrakt-test/web:1', [SOCKET, '    privileged: true'], 'privileged');
    const again = await deliver('push', { ref: 'refs/heads/main', after: priv, before: sha });
    expect(again).toMatchObject({ status: 202, body: { outcome: 'queued' } });
    const refused = await ended(again.body.jobId!);
    expect(refused.status).toBe('failed');
    expect(refused.error?.message).toContain('services.web.privileged');
    expect(refused.error?.message).not.toContain('docker.sock');
    expect((await get(env.httpPort, `${app}.test`)).body).toContain('version=v2');
    expect(await current()).toBe(sha);
  }, 300_000);

  it('revoked: a deployer may not roll back to the socket release (the plain one serves); an admin may', async () => {
    const deployments = async () =>
      JSON.parse((await env.ok(['app', 'deployments', app, '--json'])).stdout) as {
        release: number;
        source: string;
        status: string;
        current: boolean;
      }[];
    // The release of the previous test serves with the socket: it is the one to roll back to.
    const socketRelease = (await deployments()).find((d) => d.current)!;
    expect(socketMounted()).toBe(true);
    const plain = commitCompose(repo, 'infrakt-test/web:1', [], 'no socket again');
    await env.ok(['app', 'deploy', app]);
    expect(await current()).toBe(plain);
    expect((await get(env.httpPort, `${app}.test`)).body).toContain('version=v1');
    expect(socketMounted()).toBe(false);
    await env.ok(['app', 'update', app, '--allow-privileged', 'none']);
    expect(JSON.parse((await env.ok(['app', 'show', app, '--json'])).stdout).settings.privileges).toEqual([]);

    const byToken = await api(`/api/apps/${app}/rollback`, {
      method: 'POST',
      auth: deployer,
      json: { release: socketRelease.release },
    });
    expect(byToken.status).toBe(202);
    const refused = await ended(byToken.body.jobId);
    expect(refused.status).toBe('failed');
    expect(refused.error?.code).toBe('FORBIDDEN');
    expect(refused.error?.message).toContain('token ci-');
    expect(refused.error?.message).toContain(
      `may not set ${SOCKET_FIELD} in the compose file of release ${socketRelease.release}`,
    );
    expect(refused.error?.hint).toContain('--allow-privileged docker_socket');
    expect((await get(env.httpPort, `${app}.test`)).body).toContain('version=v1');
    expect(await current()).toBe(plain);
    expect(socketMounted()).toBe(false);

    // The admin (the owner key over the same API) rolls back to it: accepted, serving v2 with the socket again.
    const byAdmin = await api(`/api/apps/${app}/rollback`, {
      method: 'POST',
      json: { release: socketRelease.release },
    });
    expect(byAdmin.status).toBe(202);
    const done = await ended(byAdmin.body.jobId);
    expect([done.status, done.error?.message]).toEqual(['succeeded', undefined]);
    expect((await get(env.httpPort, `${app}.test`)).body).toContain('version=v2');
    expect(await current()).toBe(socketRelease.source);
    expect(socketMounted()).toBe(true);
  }, 300_000);

  it("a catalog entry mounting the socket, installed by the admin, is allowed it: the deployer's rollback goes through", async () => {
    const cat = `${app}-cat`;
    await env.ok([
      ...['catalog', 'install', 'sockweb', '--server', env.server, '--name', cat, '--domain', `${cat}.test`],
      ...['--catalog-dir', join(REPO_ROOT, 'test', 'fixtures', 'catalog-privileged'), '--yes'],
    ]);
    const shown = JSON.parse((await env.ok(['app', 'show', cat, '--json'])).stdout);
    expect(shown.settings.privileges).toEqual(['docker_socket']);
    expect((await env.ok(['app', 'show', cat])).stdout).toMatch(/privileges\s+docker_socket/);
    await env.ok(['app', 'deploy', cat]);
    const byToken = await api(`/api/apps/${cat}/rollback`, { method: 'POST', auth: deployer, json: { release: 1 } });
    expect(byToken.status).toBe(202);
    const done = await ended(byToken.body.jobId);
    expect([done.status, done.error?.message]).toEqual(['succeeded', undefined]);
    expect((await get(env.httpPort, `${cat}.test`)).body).toContain('version=v1');
    await env.ok(['app', 'destroy', cat, '--yes']);
  }, 300_000);
});
