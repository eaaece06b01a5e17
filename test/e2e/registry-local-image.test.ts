// Images a server does not have, end to end through the built CLI: the "server" (a harness sshd) runs a Docker
// engine of its own (a private dockerd), so nothing of this machine's images is there. `--local-image` sends
// one over the SSH connection (docker save | gzip → docker load, with progress); a real registry with htpasswd
// auth (Debian's docker-registry on loopback) serves a private image, pulled only once the server is logged in.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrivateDockerd, startPrivateDockerd } from '../harness/dockerd.js';
import { startRegistry, type TestRegistry } from '../harness/registry.js';
import { filesContaining, tempDir } from '../helpers/state.js';
import { type DeployEnv, DOCKER, deployEnv, get, rand } from './deploy-harness.js';

describe('images the server lacks: --local-image and a private registry (built CLI, sshd, private dockerd)', () => {
  let engine: PrivateDockerd;
  let env: DeployEnv;
  let registry: TestRegistry;
  const localApp = `ikt-test-${rand()}`;
  const privApp = `ikt-test-${rand()}`;
  const composeApp = `ikt-test-${rand()}`;

  beforeAll(async () => {
    engine = await startPrivateDockerd();
    env = await deployEnv({ sshd: { setEnv: { DOCKER_HOST: engine.host } } });
    // Pulls are allowed here: the only registry any image names is the loopback one below.
    await env.ok(['server', 'set', env.server, '--pull-policy', 'missing']);
    registry = await startRegistry(DOCKER);
  });

  afterAll(async () => {
    await env?.close();
    await registry?.stop();
    await engine?.stop();
  });

  it('leaves the machine engine alone: its docker0 bridge is still there and still runs containers', async () => {
    // A dockerd started with `--bridge none` deletes docker0 at start-up; this harness once did, and every later
    // `docker run` on the machine failed.
    expect(execFileSync('ip', ['-br', 'link', 'show', 'docker0'], { encoding: 'utf8' })).toMatch(/^docker0\s/);
    const r = await engine.docker([
      'network',
      'inspect',
      'bridge',
      '--format',
      '{{index .Options "com.docker.network.bridge.name"}}',
    ]);
    expect(r.stdout.trim()).toMatch(/^ikt-dk-/);
  });

  it('deploys an image of this machine with --local-image: streamed with progress, then skipped when there', async () => {
    expect((await engine.docker(['image', 'inspect', 'infrakt-test/web:1'])).code).not.toBe(0);
    await env.ok([
      'app',
      'create',
      '--server',
      env.server,
      '--name',
      localApp,
      '--image',
      'infrakt-test/web:1',
      '--port',
      '3000',
      '--domain',
      `${localApp}.test`,
      '--health-path',
      '/health',
    ]);
    const missing = await env.cli(['app', 'deploy', localApp, '--local-image', `ikt-test-absent/x:${rand()}`]);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/is not on this machine/);

    const started = performance.now();
    const r = await env.ok(['app', 'deploy', localApp, '--local-image', 'infrakt-test/web:1', '--verbose']);
    const ms = Math.round(performance.now() - started);
    expect(r.stderr).toMatch(/\[send local image\] \d+% of infrakt-test\/web:1 read/);
    expect(r.stderr).toMatch(/send local image succeeded .* MB as [\d.]+ MB gzip in [\d.]+ s/);
    expect((await engine.docker(['image', 'inspect', 'infrakt-test/web:1'])).code).toBe(0);
    expect((await get(env.httpPort, `${localApp}.test`)).body).toContain('version=v1');
    console.log(`[local-image] first deploy with the transfer: ${ms} ms`);

    const again = await env.ok(['app', 'deploy', localApp, '--local-image', 'infrakt-test/web:1']);
    expect(again.stderr).toMatch(/send local image unchanged .* is already on the server/);
    await env.ok(['app', 'destroy', localApp, '--force']);
  });

  it('pulls a private image only with the registry’s credentials; compose apps too', async () => {
    const ref = await registry.push('infrakt-test/web:2', `ikt/web:${rand()}`);
    await env.ok([
      'app',
      'create',
      '--server',
      env.server,
      '--name',
      privApp,
      '--image',
      ref,
      '--port',
      '3000',
      '--domain',
      `${privApp}.test`,
      '--health-path',
      '/health',
    ]);
    const denied = await env.cli(['app', 'deploy', privApp]);
    expect(denied.code).toBe(13);
    expect(denied.stderr).toMatch(/docker pull .* failed/);
    expect(denied.stderr).toContain(`infrakt registry add --server ${env.server} ${registry.host} --username <user>`);

    const wrong = await env.cli(
      ['registry', 'add', registry.host, '--server', env.server, '--username', registry.user],
      {
        input: 'not-the-password\n',
      },
    );
    expect(wrong.code).toBe(13);
    expect(wrong.stderr).toMatch(/refused the login/);
    expect(JSON.parse((await env.ok(['registry', 'list', '--json'])).stdout)).toEqual([]);

    const bad = await env.cli(['registry', 'add', 'https://x/y', '--server', env.server, '--username', 'u'], {
      input: 'pw\n',
    });
    expect(bad.code).toBe(2);

    const add = await env.cli(['registry', 'add', registry.host, '--server', env.server, '--username', registry.user], {
      input: `${registry.password}\n`,
    });
    expect(add.code, add.stderr).toBe(0);
    const list = JSON.parse((await env.ok(['registry', 'list', '--server', env.server, '--json'])).stdout);
    expect(list).toMatchObject([{ server: env.server, host: registry.host, username: registry.user }]);
    expect(JSON.stringify(list)).not.toContain(registry.password);

    await env.ok(['app', 'deploy', privApp]);
    expect((await get(env.httpPort, `${privApp}.test`)).body).toContain('version=v2');

    const dir = tempDir();
    const file = join(dir, 'compose.yml');
    writeFileSync(file, `services:\n  web:\n    image: ${ref}\n    ports: ["3000"]\n`);
    await engine.docker(['rmi', ref, `infrakt-app/${privApp}:r1`]);
    await env.ok([
      'app',
      'create',
      '--server',
      env.server,
      '--name',
      composeApp,
      '--compose-file',
      file,
      '--port',
      '3000',
      '--domain',
      `${composeApp}.test`,
      '--health-path',
      '/health',
    ]);
    const composed = await env.ok(['app', 'deploy', composeApp, '--verbose']);
    expect(composed.stderr).toContain(`pulling it (logged in to ${registry.host})`);
    expect((await get(env.httpPort, `${composeApp}.test`)).body).toContain('version=v2');

    // The password is sealed locally; on the server only Docker's own login file (under the root, 0600) has it.
    expect(filesContaining(env.home, registry.password)).toEqual([]);
    await env.ok(['registry', 'remove', registry.host, '--server', env.server]);
    expect(JSON.parse((await env.ok(['registry', 'list', '--json'])).stdout)).toEqual([]);
    expect(filesContaining(env.host.root, registry.password)).toEqual([]);
  });
});
