// The catalog end to end through the built CLI on a harness server (sshd, real Docker, real Caddy): install a
// compose entry built from local test images, see its generated secret reach its service (never the job log),
// upgrade it, fail an upgrade's health check and see it rolled back, put auth in front of it, uninstall it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../harness/cli.js';
import { type DeployEnv, deployEnv, docker, get, rand, removeAppImages } from './deploy-harness.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'catalog');
const dirArgs = ['--catalog-dir', FIXTURES];

describe('catalog install / upgrade / rollback / uninstall (built CLI, sshd, Docker, Caddy)', () => {
  let env: DeployEnv;
  const app = `ikt-test-${rand()}`;
  const domain = `${app}.test`;
  let password = '';

  beforeAll(async () => {
    env = await deployEnv();
  });
  afterAll(async () => {
    await env?.close();
    removeAppImages(app);
  });

  const installed = async () =>
    (JSON.parse((await env.ok(['catalog', 'installed', '--json'])).stdout) as { name: string; version: string }[]).find(
      (r) => r.name === app,
    );
  const redisPing = (pw: string) => {
    const id = docker('ps', '-q', '--filter', `label=com.docker.compose.project=${app}-svc`).split('\n')[0]!;
    return docker('exec', '-e', `REDISCLI_AUTH=${pw}`, id, 'redis-cli', 'ping');
  };

  it('refuses bad input before anything runs, naming the input', async () => {
    const unknown = await env.cli([
      'catalog',
      'install',
      'webapp',
      '--server',
      env.server,
      ...dirArgs,
      '--set',
      'colour=red',
    ]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/invalid input colour: unknown input/);
    const email = await env.cli([
      'catalog',
      'install',
      'webapp',
      '--server',
      env.server,
      ...dirArgs,
      '--version',
      '1',
      '--set',
      'advanced=true',
      '--set',
      'admin_email=not-an-email',
    ]);
    expect(email.code).toBe(2);
    expect(email.stderr).toMatch(/invalid input admin_email: must be an email address/);
    const missing = await env.cli([
      'catalog',
      'install',
      'webapp',
      '--server',
      env.server,
      ...dirArgs,
      '--set',
      'advanced=true',
    ]);
    expect(missing.stderr).toMatch(/invalid input admin_email: is required/);
    expect((await env.ok(['app', 'list', '--json'])).stdout).not.toContain('ikt-test');
  });

  it('installs version 1 as a compose app: served through Caddy, generated secret reaches its service', async () => {
    const r = await env.ok([
      'catalog',
      'install',
      'webapp',
      '--server',
      env.server,
      ...dirArgs,
      '--version',
      '1',
      '--name',
      app,
      '--domain',
      domain,
      '--set',
      'greeting=hi-from-catalog',
      '--set',
      'metrics_port=9200',
    ]);
    expect(r.stdout).toMatch(/webapp 1 installed as app/);
    // Hidden by visible_if (advanced is off): not used, and said so.
    expect(r.stderr).toMatch(/ignored \(hidden by their conditions\): metrics_port/);
    password = /Cache password\s+(\S+)/.exec(r.stdout)?.[1] ?? '';
    expect(password).toMatch(/^[A-Za-z0-9]{24}$/);
    expect((await get(env.httpPort, domain)).body).toContain('version=v1');
    const seen = (await get(env.httpPort, domain, '/cgi-bin/env?APP_MESSAGE,METRICS_PORT')).body;
    expect(seen).toContain('APP_MESSAGE=hi-from-catalog');
    expect(seen).toContain('METRICS_PORT (unset)');
    expect(redisPing(password)).toBe('PONG');
    expect(await installed()).toMatchObject({ version: '1' });
  });

  it('the generated secret is never in the job record, its log, the audit or the app record', async () => {
    const jobs = JSON.parse((await env.ok(['job', 'list', '--json'])).stdout) as { id: string; kind: string }[];
    const job = jobs.find((j) => j.kind === 'catalog.install')!;
    const logs = await env.ok(['job', 'logs', job.id]);
    const show = await env.ok(['job', 'show', job.id, '--json']);
    const appShow = await env.ok(['app', 'show', app, '--json']);
    for (const text of [logs.stdout, logs.stderr, show.stdout, appShow.stdout]) expect(text).not.toContain(password);
    expect(show.stdout).toContain('[redacted]');
    // It is in the app's encrypted env, readable when asked for.
    expect((await env.ok(['env', 'get', app, 'CACHE_PASSWORD'])).stdout.trim()).toBe(password);
  });

  it('upgrades to version 2 (health-gated), keeping the installed values and secrets', async () => {
    const r = await env.ok(['catalog', 'upgrade', app, ...dirArgs, '--to', '2']);
    expect(r.stdout).toMatch(/webapp 1 → 2/);
    expect(r.stdout).toMatch(/upgrade notes: version 2/);
    expect((await get(env.httpPort, domain)).body).toContain('version=v2');
    expect((await get(env.httpPort, domain, '/cgi-bin/env?APP_MESSAGE')).body).toContain('APP_MESSAGE=hi-from-catalog');
    expect(redisPing(password)).toBe('PONG');
    expect(await installed()).toMatchObject({ version: '2' });
  });

  it('an upgrade whose new release fails its health check is rolled back; version 2 keeps serving', async () => {
    const r = await env.cli(['catalog', 'upgrade', app, ...dirArgs]);
    expect(r.code).toBe(14);
    expect(r.stderr).toMatch(/upgrade of .* to webapp 3 failed: .*not healthy.*rolled back/);
    expect((await get(env.httpPort, domain)).body).toContain('version=v2');
    expect(await installed()).toMatchObject({ version: '2' });
    expect(redisPing(password)).toBe('PONG');
    const deps = JSON.parse((await env.ok(['app', 'deployments', app, '--json'])).stdout) as {
      status: string;
      current: boolean;
    }[];
    expect(deps.filter((d) => d.status === 'failed')).toHaveLength(1);
    expect(deps[0]).toMatchObject({ status: 'succeeded', current: true });
    // One release serves; the failed one is gone.
    const running = docker(
      'ps',
      '--filter',
      `label=infrakt.app=${app}`,
      '--filter',
      'label=infrakt.release',
      '--format',
      '{{.Names}}',
    );
    expect(running.split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('shows the outputs again (the secret only with --reveal) and moves the app with catalog upgrade --domain', async () => {
    type Outputs = { outputs: { label: string; value: string | null; secret: boolean }[] };
    const masked = await env.ok(['catalog', 'outputs', app, ...dirArgs, '--json']);
    expect(masked.stdout).not.toContain(password);
    expect((JSON.parse(masked.stdout) as Outputs).outputs).toEqual([
      { label: 'URL', value: `https://${domain}`, secret: false },
      { label: 'Cache password', value: null, secret: true },
    ]);
    const revealed = JSON.parse((await env.ok(['catalog', 'outputs', app, ...dirArgs, '--reveal', '--json'])).stdout);
    expect((revealed as Outputs).outputs[1]?.value).toBe(password);

    const moved = `moved-${rand()}.test`;
    const r = await env.ok(['catalog', 'upgrade', app, ...dirArgs, '--to', '2', '--domain', moved]);
    expect(r.stdout).toContain(`domain ${domain} → ${moved}`);
    expect((await get(env.httpPort, moved)).body).toContain('version=v2');
    const caddyfile = readFileSync(`${env.host.root}/caddy/Caddyfile`, 'utf8');
    expect(caddyfile).toContain(moved);
    expect(caddyfile).not.toContain(domain);
    expect(redisPing(password)).toBe('PONG');
    const after = JSON.parse((await env.ok(['catalog', 'outputs', app, ...dirArgs, '--json'])).stdout) as Outputs;
    expect(after.outputs[0]?.value).toBe(`https://${moved}`);
    // No domain at all: its route leaves Caddy, and the URL output goes with it.
    const none = await env.ok(['catalog', 'upgrade', app, ...dirArgs, '--to', '2', '--no-domain']);
    expect(none.stdout).toContain(`domain ${moved} → -`);
    expect(readFileSync(`${env.host.root}/caddy/Caddyfile`, 'utf8')).not.toContain(moved);
    const bare = JSON.parse((await env.ok(['catalog', 'outputs', app, ...dirArgs, '--json'])).stdout) as Outputs;
    expect(bare.outputs.map((o) => o.label)).toEqual(['Cache password']);
    // And back, for the tests below.
    await env.ok(['catalog', 'upgrade', app, ...dirArgs, '--to', '2', '--domain', domain]);
    expect((await get(env.httpPort, domain)).body).toContain('version=v2');
    expect(readFileSync(`${env.host.root}/caddy/Caddyfile`, 'utf8')).not.toContain(moved);
  });

  it('puts basic auth, then nothing, in front of the app (bcrypt hash in the Caddy config)', async () => {
    const pw = `pw-${rand()}-long`;
    const set = await env.cli(['app', 'update', app, '--auth', 'basic:admin'], { input: `${pw}\n` });
    expect(set.code, set.stderr).toBe(0);
    const caddyfile = readFileSync(`${env.host.root}/caddy/Caddyfile`, 'utf8');
    expect(caddyfile).toContain('basicauth {');
    expect(caddyfile).not.toContain(pw);
    expect((await get(env.httpPort, domain)).status).toBe(401);
    const { request } = await import('node:http');
    const authed = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: env.httpPort,
          path: '/',
          headers: { host: domain, authorization: `Basic ${Buffer.from(`admin:${pw}`).toString('base64')}` },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(authed).toBe(200);
    await env.ok(['app', 'update', app, '--auth', 'none']);
    expect((await get(env.httpPort, domain)).status).toBe(200);
  });

  it('catalog uninstall --volumes leaves no container, volume, network, directory or route', async () => {
    // No terminal and no --yes: refused before anything runs.
    const asked = await env.cli(['catalog', 'uninstall', app, ...dirArgs]);
    expect(asked.code).not.toBe(0);
    expect(asked.stderr).toMatch(/needs confirmation/);
    expect(docker('ps', '-q', '--filter', `label=infrakt.app=${app}`)).not.toBe('');
    const r = await env.ok(['catalog', 'uninstall', app, '--volumes', '--yes', ...dirArgs]);
    expect(r.stdout).toContain(`uninstalled app ${app} (webapp)`);
    expect(docker('volume', 'ls', '-q', '--filter', `label=infrakt.volume-of=${app}`)).toBe('');
    expect(docker('ps', '-aq', '--filter', `label=infrakt.app=${app}`)).toBe('');
    expect(docker('volume', 'ls', '-q', '--filter', `label=infrakt.app=${app}`)).toBe('');
    expect(docker('network', 'ls', '-q', '--filter', `name=${app}`)).toBe('');
    expect(existsSync(`${env.host.root}/apps/${app}`)).toBe(false);
    expect(readFileSync(`${env.host.root}/caddy/Caddyfile`, 'utf8')).not.toContain(domain);
    expect(await installed()).toBeUndefined();
  });
});
