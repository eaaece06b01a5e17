// Image app end to end through the built CLI: harness sshd → real Docker → real Caddy.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeployEnv, deployEnv, docker, get, rand, removeAppImages, underLoad } from './deploy-harness.js';

const execFileAsync = promisify(execFile);

describe('image app deploy (built CLI, sshd, Docker, Caddy)', () => {
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
      '--health-timeout',
      '20',
    ]);
  });

  afterAll(async () => {
    await env?.close();
    removeAppImages(app);
  });

  it('deploys and serves the app through Caddy with its Host header', async () => {
    const r = await env.ok(['app', 'deploy', app]);
    expect(r.stdout).toMatch(/release 1 serving/);
    const res = await get(env.httpPort, domain);
    expect(res.status).toBe(200);
    expect(res.body).toContain('version=v1');
    const other = await get(env.httpPort, 'unknown.test');
    expect(other.body).not.toContain('version=v1');
  });

  it('keeps serving after Docker stops and starts the container (the host port is fixed, not Docker-chosen)', async () => {
    const id = docker('ps', '-q', '--filter', `label=infrakt.app=${app}`).trim();
    expect(id).toMatch(/^[0-9a-f]+$/);
    const before = docker('port', id, '3000/tcp').trim();
    // What a daemon restart or a reboot does to the container; a Docker-chosen port would change here.
    docker('stop', '--time', '2', id);
    docker('start', id);
    expect(docker('port', id, '3000/tcp').trim()).toBe(before);
    const deadline = Date.now() + 20_000;
    let res = { status: 0, body: '' };
    while (Date.now() < deadline && !res.body.includes('version=v1')) {
      res = await get(env.httpPort, domain).catch(() => ({ status: 0, body: '' }));
      if (!res.body.includes('version=v1')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(res.status).toBe(200);
    expect(res.body).toContain('version=v1');
  });

  it('redeploys web:1 → web:2 under load with zero failed requests', async () => {
    await env.ok(['app', 'update', app, '--image', 'infrakt-test/web:2']);
    const report = await underLoad(
      { port: env.httpPort, host: domain, minRequests: 5000, concurrency: 8 },
      async () => {
        await env.ok(['app', 'deploy', app]);
      },
    );
    console.info(
      `redeploy under load: ${report.requests} requests (${report.inWindow} during the deploy), ${report.failures} failed, ${report.resentOnClosedKeepAlive} resent on a closed keep-alive socket, bodies ${JSON.stringify([...report.bodies])}`,
    );
    expect(report.failureSamples).toEqual([]);
    expect(report.failures).toBe(0);
    expect(report.requests).toBeGreaterThanOrEqual(5000);
    expect(report.last).toContain('version=v2');
    expect([...report.bodies.keys()].some((b) => b.includes('version=v1'))).toBe(true);
    // The previous release is gone: one release project runs.
    const running = docker('ps', '--filter', `label=infrakt.app=${app}`, '--format', '{{.Names}}');
    expect(running.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('a failing health check keeps the old release serving and records the reason', async () => {
    await env.ok(['env', 'set', app, 'FAIL_HEALTH=1']);
    await env.ok(['app', 'update', app, '--image', 'infrakt-test/web:1']);
    const r = await env.cli(['app', 'deploy', app]);
    expect(r.code).toBe(14);
    expect(r.stderr).toMatch(/not healthy|stopped running/);
    expect((await get(env.httpPort, domain)).body).toContain('version=v2');
    const deps = JSON.parse((await env.ok(['app', 'deployments', app, '--json'])).stdout) as {
      release: number;
      status: string;
      error: string | null;
      current: boolean;
    }[];
    expect(deps[0]).toMatchObject({ release: 3, status: 'failed' });
    expect(deps[0]?.error).toMatch(/health|HTTP 404/);
    expect(deps.find((d) => d.current)?.release).toBe(2);
    const running = docker('ps', '--filter', `label=infrakt.app=${app}`, '--format', '{{.Names}}');
    expect(running.split('\n').filter(Boolean)).toHaveLength(1);
    await env.ok(['env', 'delete', app, 'FAIL_HEALTH']);
  });

  it('rolls back to the previous release under load with zero failed requests', async () => {
    const report = await underLoad(
      { port: env.httpPort, host: domain, minRequests: 5000, concurrency: 8 },
      async () => {
        const r = await env.ok(['app', 'rollback', app]);
        expect(r.stdout).toMatch(/release 4 serving/);
      },
    );
    console.info(
      `rollback under load: ${report.requests} requests (${report.inWindow} during the rollback), ${report.failures} failed, ${report.resentOnClosedKeepAlive} resent`,
    );
    expect(report.failureSamples).toEqual([]);
    expect(report.failures).toBe(0);
    expect(report.requests).toBeGreaterThanOrEqual(5000);
    expect(report.last).toContain('version=v1');
    const deps = JSON.parse((await env.ok(['app', 'deployments', app, '--json'])).stdout) as { action: string }[];
    expect(deps[0]?.action).toBe('rollback');
  });

  it('env push: the container sees the new values; they never show in ps, job logs or the record', async () => {
    const value = `s3cr3t-${rand()}-value`;
    await env.ok(['env', 'set', app, `APP_MESSAGE=${value}`]);
    // Sample the server's process list while the push runs.
    let leaked = false;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        // The server's whole process table (same machine as the harness sshd), sampled as the push runs.
        const { stdout } = await execFileAsync('ps', ['-eo', 'args'], { maxBuffer: 16 * 1024 * 1024 });
        if (stdout.includes(value)) leaked = true;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const push = await env.ok(['env', 'push', app, '--json']);
    sampling = false;
    await sampler;
    expect(leaked).toBe(false);
    const job = JSON.parse(push.stdout) as { id: string };
    const res = await get(env.httpPort, domain, '/cgi-bin/env?APP_MESSAGE');
    expect(res.body).toContain(`APP_MESSAGE=${value}`);
    const logs = await env.ok(['job', 'logs', job.id]);
    expect(logs.stdout + logs.stderr).not.toContain(value);
    expect(push.stdout).not.toContain(value);
    const deps = await env.ok(['app', 'deployments', app, '--json']);
    expect(deps.stdout).not.toContain(value);
  });

  it('logs, stop and restart act on the current release', async () => {
    const logs = await env.ok(['app', 'logs', app, '--lines', '20']);
    expect(logs.stdout).toMatch(/infrakt-test-web v\d listening on :3000/);
    await env.ok(['app', 'stop', app]);
    const stopped = JSON.parse((await env.ok(['app', 'show', app, '--json'])).stdout) as { status: string };
    expect(stopped.status).toBe('stopped');
    expect(docker('ps', '-q', '--filter', `label=infrakt.app=${app}`)).toBe('');
    await env.ok(['app', 'restart', app]);
    const deadline = Date.now() + 20_000;
    let body = '';
    while (Date.now() < deadline && !body.includes('version=')) {
      body = (await get(env.httpPort, domain).catch(() => ({ status: 0, body: '' }))).body;
      if (!body.includes('version=')) await new Promise((r) => setTimeout(r, 100));
    }
    expect(body).toContain('version=v1');
  });

  it('destroy leaves no container, volume, network, directory or route', async () => {
    const r = await env.cli(['app', 'destroy', app]);
    expect(r.code).toBe(7); // no TTY, no --force: refused, nothing changed
    await env.ok(['app', 'destroy', app, '--force']);
    expect(docker('ps', '-aq', '--filter', `label=infrakt.app=${app}`)).toBe('');
    expect(docker('network', 'ls', '-q', '--filter', `name=${app}`)).toBe('');
    expect(docker('volume', 'ls', '-q', '--filter', `label=infrakt.app=${app}`)).toBe('');
    expect(docker('image', 'ls', '-q', '--filter', `reference=infrakt-app/${app}`)).toBe('');
    const { existsSync, readFileSync } = await import('node:fs');
    expect(existsSync(`${env.host.root}/apps/${app}`)).toBe(false);
    expect(readFileSync(`${env.host.root}/caddy/Caddyfile`, 'utf8')).not.toContain(domain);
    // With no route left Caddy may not listen on its HTTP port at all: refused or not the app, both fine.
    const after = await get(env.httpPort, domain).catch(() => ({ status: 0, body: '' }));
    expect(after.body).not.toContain('version=');
    const list = await env.ok(['app', 'list', '--json']);
    expect(list.stdout).not.toContain(app);
  });
});
