// Git and compose apps end to end through the built CLI (sshd → Docker → Caddy), nothing pulled.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeployEnv, deployEnv, docker, get, rand, removeAppImages } from './deploy-harness.js';

const gitIn = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-C', dir, '-c', 'user.name=ikt', '-c', 'user.email=ikt@test', ...args], {
    encoding: 'utf8',
  }).trim();

describe('git and compose apps (built CLI, sshd, Docker, Caddy)', () => {
  let env: DeployEnv;
  let repo: string;
  const gitApp = `ikt-test-${rand()}`;
  const composeApp = `ikt-test-${rand()}`;
  const tmp: string[] = [];

  beforeAll(async () => {
    env = await deployEnv();
    repo = mkdtempSync(join(tmpdir(), 'ikt-test-repo-'));
    tmp.push(repo);
    execFileSync('git', ['init', '-q', '-b', 'main', repo]);
    // Builds FROM a local test image: nothing is pulled.
    writeFileSync(join(repo, 'Dockerfile'), 'FROM infrakt-test/web:2\nCOPY index.html /www/index.html\n');
    writeFileSync(join(repo, 'index.html'), 'from-git one\n');
    gitIn(repo, 'add', '.');
    gitIn(repo, 'commit', '-q', '-m', 'one');
  });

  afterAll(async () => {
    await env?.close();
    removeAppImages(gitApp);
    removeAppImages(composeApp);
    for (const d of tmp) rmSync(d, { recursive: true, force: true });
  });

  it('deploys a git app from a local repository (Dockerfile built on the server)', async () => {
    await env.ok([
      'app',
      'create',
      '--server',
      env.server,
      '--name',
      gitApp,
      '--git',
      repo,
      '--branch',
      'main',
      '--port',
      '3000',
      '--domain',
      `${gitApp}.test`,
      '--health-path',
      '/health',
    ]);
    await env.ok(['app', 'deploy', gitApp]);
    expect((await get(env.httpPort, `${gitApp}.test`)).body).toBe('from-git one\n');
    writeFileSync(join(repo, 'index.html'), 'from-git two\n');
    gitIn(repo, 'commit', '-q', '-am', 'two');
    const commit = gitIn(repo, 'rev-parse', 'HEAD');
    await env.ok(['app', 'deploy', gitApp]);
    expect((await get(env.httpPort, `${gitApp}.test`)).body).toBe('from-git two\n');
    const deps = JSON.parse((await env.ok(['app', 'deployments', gitApp, '--json'])).stdout) as {
      source: string;
      current: boolean;
    }[];
    expect(deps[0]).toMatchObject({ source: commit, current: true });
    await env.ok(['app', 'destroy', gitApp, '--force']);
    expect(docker('ps', '-aq', '--filter', `label=infrakt.app=${gitApp}`)).toBe('');
  });

  it('refuses a compose file that does not parse before anything runs', async () => {
    const bad = join(repo, 'bad.yml');
    writeFileSync(bad, 'services: [\n');
    const r = await env.cli([
      'app',
      'create',
      '--server',
      env.server,
      '--name',
      `ikt-test-${rand()}`,
      '--compose-file',
      bad,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/does not parse/);
  });

  it('deploys a compose app with two services: the web one switched, the other updated in place', async () => {
    const file = join(repo, 'compose.yml');
    writeFileSync(
      file,
      [
        'services:',
        '  web:',
        '    image: infrakt-test/web:1',
        '    ports: ["3000"]',
        '    depends_on: [cache]',
        '  cache:',
        '    image: infrakt-test/redis:7',
        '    volumes: [data:/data]',
        'volumes:',
        '  data: {}',
        '',
      ].join('\n'),
    );
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
    await env.ok(['app', 'deploy', composeApp]);
    expect((await get(env.httpPort, `${composeApp}.test`)).body).toContain('version=v1');
    const cacheId = docker('ps', '-q', '--filter', `label=com.docker.compose.project=${composeApp}-svc`);
    expect(cacheId).not.toBe('');
    // The routed service reaches the other one by its service name across the two projects.
    const webId = docker('ps', '-q', '--filter', `label=com.docker.compose.project=${composeApp}-r1`);
    expect(docker('exec', webId, 'nslookup', 'cache')).toMatch(/Address/);

    writeFileSync(file, (await import('node:fs')).readFileSync(file, 'utf8').replace('web:1', 'web:2'));
    await env.ok(['app', 'update', composeApp, '--compose-file', file]);
    await env.ok(['app', 'deploy', composeApp]);
    expect((await get(env.httpPort, `${composeApp}.test`)).body).toContain('version=v2');
    expect(docker('ps', '-q', '--filter', `label=com.docker.compose.project=${composeApp}-svc`)).toBe(cacheId);
    expect(docker('ps', '-q', '--filter', `label=com.docker.compose.project=${composeApp}-r1`)).toBe('');

    await env.ok(['app', 'destroy', composeApp, '--force']);
    expect(docker('ps', '-aq', '--filter', `label=infrakt.app=${composeApp}`)).toBe('');
    expect(docker('volume', 'ls', '-q', '--filter', `name=${composeApp}`)).toBe('');
    expect(docker('network', 'ls', '-q', '--filter', `name=${composeApp}`)).toBe('');
    expect(existsSync(`${env.host.root}/apps/${composeApp}`)).toBe(false);
  });
});
