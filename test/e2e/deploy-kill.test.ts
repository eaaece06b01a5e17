// A deploy killed (SIGKILL of the CLI) at several steps: the app keeps being served, and the next deploy
// succeeds and leaves exactly one release running.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, REPO_ROOT } from '../harness/cli.js';
import { type DeployEnv, deployEnv, docker, get, rand, removeAppImages } from './deploy-harness.js';

/** The name of the step the newest job is running, read from the state database (read-only). */
function runningStep(home: string): string | null {
  const db = new BetterSqlite3(join(home, 'infrakt.db'), { readonly: true, fileMustExist: true });
  try {
    const row = db
      .prepare(
        "SELECT s.name FROM job_steps s JOIN jobs j ON j.id = s.job_id WHERE j.status = 'running' AND s.status = 'running' ORDER BY j.created_at DESC LIMIT 1",
      )
      .get() as { name: string } | undefined;
    return row?.name ?? null;
  } finally {
    db.close();
  }
}

/** Starts `app deploy`, waits (polling, with a deadline) until it runs `step`, then SIGKILLs it. */
async function killDuring(env: DeployEnv, app: string, step: string): Promise<void> {
  const child = spawn(process.execPath, [CLI_BIN, 'app', 'deploy', app], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', INFRAKT_HOME: env.home },
    stdio: 'ignore',
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const deadline = Date.now() + 60_000;
  let seen = false;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      if (runningStep(env.home) === step) {
        seen = true;
        break;
      }
    } catch {
      // the database is being created / locked for a moment
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  child.kill('SIGKILL');
  await exited;
  expect(seen, `deploy never reached step '${step}'`).toBe(true);
}

const PROJECT = '{{.Label "com.docker.compose.project"}}';

describe('a deploy killed mid-way (built CLI, sshd, Docker, Caddy)', () => {
  let env: DeployEnv;
  const app = `ikt-test-${rand()}`;
  const domain = `${app}.test`;

  beforeAll(async () => {
    env = await deployEnv();
    await env.ok([
      'app',
      'create',
      '--server',
      env.server,
      '--name',
      app,
      '--image',
      'infrakt-test/web:1',
      '--port',
      '3000',
      '--domain',
      domain,
      '--health-path',
      '/health',
    ]);
    // A slow start keeps the health check step open long enough to be hit (the probes run on the server right
    // behind `compose up`, in one script; on a loaded machine `up` itself can take 2 s).
    await env.ok(['env', 'set', app, 'START_DELAY=4']);
    await env.ok(['app', 'deploy', app]);
    expect((await get(env.httpPort, domain)).body).toContain('version=v1');
  });

  afterAll(async () => {
    await env?.close();
    try {
      docker('network', 'rm', `${app}-r999_default`);
    } catch {
      // removed by the deploy (the test's point)
    }
    removeAppImages(app);
  });

  it('a release orphaned by a kill during its start, and the lone network of another, go with the next deploy', async () => {
    // A start cut short after compose made the network only: no container, so only the server's list shows it.
    const lone = `${app}-r999`;
    docker('network', 'create', '--label', `com.docker.compose.project=${lone}`, `${lone}_default`);
    // Killed while its release waits to get healthy: its containers exist, it never became current.
    await killDuring(env, app, 'health check');
    const orphaned = docker('ps', '-a', '--filter', `label=infrakt.app=${app}`, '--format', PROJECT);
    expect(new Set(orphaned.split('\n').filter(Boolean)).size, orphaned).toBeGreaterThanOrEqual(2);
    const job = JSON.parse((await env.ok(['app', 'deploy', app, '--json'])).stdout) as {
      status: string;
      steps: { name: string; status: string; detail?: string | null }[];
    };
    expect(job.status).toBe('succeeded');
    // Every container of the app, running or not, is the new release's; the lone network is gone.
    const left = docker('ps', '-a', '--filter', `label=infrakt.app=${app}`, '--format', PROJECT);
    expect(new Set(left.split('\n').filter(Boolean)).size, left).toBe(1);
    expect(docker('network', 'ls', '--filter', `name=^${lone}_default$`, '--format', '{{.Name}}')).toBe('');
    const retire = job.steps.find((s) => s.name === 'retire previous release');
    expect(retire?.detail).toContain(`removed orphaned ${lone}`);
    expect((await get(env.httpPort, domain)).status).toBe(200);
  });

  for (const step of [
    'write release files',
    'start new release',
    'health check',
    'switch proxy',
    'retire previous release',
  ]) {
    it(`killed during '${step}': still served, and the next deploy succeeds`, async () => {
      await killDuring(env, app, step);
      const during = await get(env.httpPort, domain);
      expect(during.status).toBe(200);
      expect(during.body).toMatch(/version=v[12]/);
      await env.ok(['app', 'deploy', app]);
      expect((await get(env.httpPort, domain)).status).toBe(200);
      const running = docker('ps', '--filter', `label=infrakt.app=${app}`, '--format', '{{.Names}}');
      expect(running.split('\n').filter(Boolean)).toHaveLength(1);
      const deps = JSON.parse((await env.ok(['app', 'deployments', app, '--json'])).stdout) as {
        status: string;
        current: boolean;
      }[];
      expect(deps[0]).toMatchObject({ status: 'succeeded', current: true });
      expect(deps[1]?.status).toBe('failed');
    });
  }
});
