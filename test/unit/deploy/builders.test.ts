// The deploy builders as a spec: each test pins the exact shell text sent to the server.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { render } from '../../../src/core/cmd/index.js';
import * as caddy from '../../../src/core/commands/caddy.js';
import * as compose from '../../../src/core/commands/compose.js';
import * as docker from '../../../src/core/commands/docker.js';
import * as fs from '../../../src/core/commands/fs.js';
import * as git from '../../../src/core/commands/git.js';
import { healthRequest, isHealthy, parseHttpStatus } from '../../../src/core/commands/http.js';

const r = (c: Parameters<typeof render>[0]) => render(c);
const v2 = {
  flavour: 'v2',
  project: 'web-r3',
  file: '/opt/infrakt/apps/web/releases/3/docker-compose.yml',
  envFile: '/opt/infrakt/apps/web/.env',
} as const;
const v1 = { ...v2, flavour: 'v1' } as const;

describe('compose builders', () => {
  it('detects the flavour, v2 first', () => {
    expect(r(compose.detectFlavour())).toBe(
      '{ { docker compose version --short 2>&1; } > /dev/null && echo v2; } || { { docker-compose version --short 2>&1; } > /dev/null && echo v1; }',
    );
  });
  it('up never pulls nor builds (v2 adds --pull never)', () => {
    expect(r(compose.up(v2))).toBe(
      'docker compose --project-name web-r3 --file /opt/infrakt/apps/web/releases/3/docker-compose.yml --env-file /opt/infrakt/apps/web/.env up --detach --no-build --pull never --remove-orphans 2>&1',
    );
    expect(r(compose.up(v1))).toBe(
      'docker-compose --project-name web-r3 --file /opt/infrakt/apps/web/releases/3/docker-compose.yml --env-file /opt/infrakt/apps/web/.env up --detach --no-build --remove-orphans 2>&1',
    );
  });
  it('port, logs, build, restart, stop, config', () => {
    const head =
      'docker compose --project-name web-r3 --file /opt/infrakt/apps/web/releases/3/docker-compose.yml --env-file /opt/infrakt/apps/web/.env';
    expect(r(compose.port(v2, 'app', 3000))).toBe(`${head} port app 3000`);
    expect(r(compose.logs(v2, { lines: 50 }))).toBe(`${head} logs --no-color --tail 50 2>&1`);
    expect(r(compose.logs(v2, { lines: 5, follow: true }))).toBe(`${head} logs --no-color --tail 5 --follow 2>&1`);
    expect(r(compose.build(v2))).toBe(`${head} build 2>&1`);
    expect(r(compose.restart(v2))).toBe(`${head} restart 2>&1`);
    expect(r(compose.stop(v2))).toBe(`${head} stop 2>&1`);
    expect(r(compose.config(v2))).toBe(`${head} config --quiet 2>&1`);
  });
  it('quotes hostile paths', () => {
    expect(r(compose.port({ ...v2, file: "/x/it's; rm -rf /" }, 'app', 1))).toContain("--file '/x/it'\\''s; rm -rf /'");
  });
});

describe('docker builders', () => {
  it('inspects, pulls and builds images', () => {
    expect(r(docker.imageId('infrakt-test/web:1'))).toBe("docker image inspect --format '{{.Id}}' infrakt-test/web:1");
    expect(r(docker.pull('nginx:alpine'))).toBe('docker pull --quiet nginx:alpine');
    expect(r(docker.build('infrakt-app/api:r2', '/opt/infrakt/apps/api/src'))).toBe(
      'docker build --quiet --tag infrakt-app/api:r2 -- /opt/infrakt/apps/api/src 2>&1',
    );
  });
  it('removes tags only, never by id or with --force', () => {
    expect(r(docker.rmi('infrakt-app/api:r1'))).toBe('docker rmi infrakt-app/api:r1 2> /dev/null');
    expect(r(docker.removeImagesByRepo('infrakt-app/api'))).toBe(
      "{ docker image ls --filter 'reference=infrakt-app/api' --format '{{.Repository}}:{{.Tag}}' | xargs -r docker rmi; } 2> /dev/null",
    );
  });
  it('finds release projects by labels', () => {
    expect(r(docker.projectsByLabels({ 'infrakt.app': 'web', 'infrakt.root': '/opt/infrakt' }))).toBe(
      "docker ps -a --filter 'label=infrakt.app=web' --filter 'label=infrakt.root=/opt/infrakt' --format '{{.Label \"com.docker.compose.project\"}}'",
    );
  });
  it('removes a project with plain docker (graceful stop, containers, networks, volumes on request)', () => {
    const f = "--filter 'label=com.docker.compose.project=web-r1'";
    expect(r(docker.removeProject('web-r1', { stopSeconds: 5 }))).toBe(
      [
        `{ docker ps -q ${f} | xargs -r docker stop --time 5; } 2> /dev/null`,
        `{ docker ps -aq ${f} | xargs -r docker rm --force --volumes; } 2> /dev/null`,
        `{ docker network ls -q ${f} | xargs -r docker network rm; } 2> /dev/null`,
      ].join(' && '),
    );
    expect(r(docker.removeProject('web-r1', { volumes: true }))).toContain(
      `{ docker volume ls -q ${f} | xargs -r docker volume rm --force; } 2> /dev/null`,
    );
  });
  it('removes every release of an app but one with two listings and three docker calls (real /bin/sh, docker shim)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ikt-sweep-'));
    try {
      const log = join(dir, 'calls');
      // A docker stand-in: logs each call (one line, arguments separated by |) and answers the two listings.
      writeFileSync(
        join(dir, 'docker'),
        [
          '#!/bin/sh',
          // One write per call: the two listings run side by side.
          `line=$(printf '%s|' "$@"); printf '%s\\n' "$line" >> ${log}`,
          'case "$1" in',
          '  ps) printf "web-r1 c1\\nweb-r3 c3\\nweb-r2 c2a\\nweb-r2 c2b\\nweb-rx cx\\nweb-r3x c3x\\n" ;;',
          '  network) [ "$2" = ls ] && printf "web-r2 n2\\nweb-r9 n9\\nweb-r3 n3\\nwebapp-r1 na\\nweb-r1-x nx\\n" ;;',
          '  stop) [ -n "$FAIL_STOP" ] && exit 1 ;;',
          'esac',
          'exit 0',
        ].join('\n'),
        { mode: 0o755 },
      );
      const cmd = r(docker.removeReleasesExcept({ app: 'web', root: '/opt/infrakt', keep: 'web-r3', stopSeconds: 7 }));
      const run = (env: Record<string, string> = {}) =>
        spawnSync('/bin/sh', ['-c', cmd], {
          encoding: 'utf8',
          env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, ...env },
        });
      const ok = run();
      expect(ok.status).toBe(0);
      // The projects found, kept one and look-alikes (web-rx, web-r3x, webapp-r1, web-r1-x) left out.
      expect(ok.stdout.trim().split('\n')).toEqual(['web-r1', 'web-r2', 'web-r9']);
      const calls = readFileSync(log, 'utf8').trim().split('\n').sort();
      expect(calls).toEqual(
        [
          'network|ls|--filter|label=com.docker.compose.project|--format|{{.Label "com.docker.compose.project"}} {{.ID}}|',
          'network|rm|n2|n9|',
          'ps|-a|--filter|label=infrakt.app=web|--filter|label=infrakt.root=/opt/infrakt|--format|{{.Label "com.docker.compose.project"}} {{.ID}}|',
          'rm|--force|--volumes|c1|c2a|c2b|',
          'stop|--time|7|c1|c2a|c2b|',
        ].sort(),
      );
      // A failed stop fails the sweep, and the removal still runs.
      writeFileSync(log, '');
      const failed = run({ FAIL_STOP: '1' });
      expect(failed.status).not.toBe(0);
      expect(readFileSync(log, 'utf8')).toContain('rm|--force|--volumes|c1|c2a|c2b|');
      expect(() => docker.removeReleasesExcept({ app: 'web', root: '/r', keep: 'web-r1', stopSeconds: -1 })).toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('restarts, stops and reads logs of a project', () => {
    const f = "--filter 'label=com.docker.compose.project=web-r1'";
    expect(r(docker.restartProject('web-r1'))).toBe(`docker ps -aq ${f} | xargs -r docker restart`);
    expect(r(docker.stopProject('web-r1'))).toBe(`docker ps -q ${f} | xargs -r docker stop --time 10`);
    expect(r(docker.projectLogs('web-r1', 30))).toBe(`docker ps -aq ${f} | xargs -r -n 1 docker logs --tail 30`);
    expect(r(docker.projectRunning('web-r1'))).toBe(`docker ps -q ${f} | grep -q .`);
  });
});

describe('caddy builders', () => {
  const p = caddy.caddyPaths('/srv/ikt');
  it('agrees on the layout with provisioning', () => {
    expect(p.config).toBe('/srv/ikt/caddy/Caddyfile');
    expect(p.pidfile).toBe('/srv/ikt/caddy/caddy.pid');
  });
  it('validates, reloads and starts detached', () => {
    expect(r(caddy.validate(p.candidate))).toBe(
      'caddy validate --config /srv/ikt/caddy/Caddyfile.next --adapter caddyfile 2>&1',
    );
    expect(r(caddy.reload(p.config, '127.0.0.1:2999'))).toBe(
      'caddy reload --config /srv/ikt/caddy/Caddyfile --adapter caddyfile --address 127.0.0.1:2999 2>&1',
    );
    expect(r(caddy.start(p))).toBe(
      '{ { setsid -w caddy start --config /srv/ikt/caddy/Caddyfile --adapter caddyfile --pidfile /srv/ikt/caddy/caddy.pid 2>&1; } > /srv/ikt/caddy/caddy.log; } < /dev/null',
    );
    expect(r(caddy.systemdActive())).toBe('{ systemctl is-active --quiet caddy 2>&1; } > /dev/null');
    expect(r(caddy.systemdReload())).toBe('systemctl reload caddy 2>&1');
    expect(r(caddy.stop('localhost:2019'))).toBe('caddy stop --address localhost:2019 2>&1');
  });
});

describe('fs and git builders', () => {
  it('mkdir with mode, mv, cp-if-exists, listDir', () => {
    expect(r(fs.mkdirp('/a/b', 0o700))).toBe('mkdir -p /a/b && chmod 700 /a/b');
    expect(r(fs.mv('/a/x.next', '/a/x'))).toBe('mv -f -- /a/x.next /a/x');
    expect(r(fs.cpIfExists('/a/x', '/a/x.prev'))).toBe('! test -f /a/x || cp -p -- /a/x /a/x.prev');
    expect(r(fs.listDir('/a'))).toBe('{ test -d /a && ls -1 -- /a; } || true');
  });
  it('rm -rf refuses shallow or relative paths', () => {
    expect(r(fs.rmrf('/opt/infrakt/apps/web'))).toBe('rm -rf -- /opt/infrakt/apps/web');
    expect(() => fs.rmrf('/opt')).toThrow(/refusing/);
    expect(() => fs.rmrf('opt/x')).toThrow(/refusing/);
    expect(() => fs.rmrf('/opt/../etc')).toThrow(/refusing/);
  });
  it('clones or fetches one branch, https and local paths only', () => {
    const c = r(git.syncBranch('https://example.com/r.git', 'main', '/s/src'));
    const safe = "-c 'protocol.allow=never' -c 'protocol.https.allow=always' -c 'protocol.file.allow=always'";
    expect(c).toBe(
      `{ test -d /s/src/.git 2> /dev/null && git ${safe} -c 'http.followRedirects=false' -C /s/src fetch --quiet --depth 1 origin -- main && git ${safe} -C /s/src checkout --quiet --force --detach FETCH_HEAD && git ${safe} -C /s/src clean -fdxq; } || { rm -rf -- /s/src && git ${safe} -c 'http.followRedirects=false' clone --quiet --depth 1 --single-branch --branch main -- https://example.com/r.git /s/src; }`,
    );
    // Pinned to the checked addresses (IPv6 in brackets); an IP literal needs no pin.
    const pinned = r(
      git.syncBranch('https://example.com/r.git', 'main', '/s/src', {
        host: 'example.com',
        port: 443,
        addresses: ['93.184.216.34', '2606:2800:220:1::1'],
      }),
    );
    expect(pinned).toContain(
      "-c 'http.followRedirects=false' -c 'http.curloptResolve=example.com:443:93.184.216.34,[2606:2800:220:1::1]' clone",
    );
    expect(
      r(
        git.syncBranch('https://93.184.216.34/r.git', 'main', '/s', {
          host: '93.184.216.34',
          port: 443,
          addresses: ['93.184.216.34'],
        }),
      ),
    ).not.toContain('curloptResolve');
    expect(r(git.headCommit('/s/src'))).toBe(`git ${safe} -C /s/src rev-parse HEAD`);
  });
});

describe('http health exchange', () => {
  it('builds a request and reads the status line', () => {
    expect(healthRequest('/health')).toBe(
      'GET /health HTTP/1.1\r\nHost: localhost\r\nUser-Agent: infrakt-health\r\nAccept: */*\r\nConnection: close\r\n\r\n',
    );
    expect(() => healthRequest('/a b')).toThrow();
    expect(parseHttpStatus('HTTP/1.1 204 No Content\r\n')).toBe(204);
    expect(parseHttpStatus('HTTP/1.0 302\r\n')).toBe(302);
    expect(parseHttpStatus('HTTP/1.1 200 OK')).toBeNull();
    expect(parseHttpStatus('SSH-2.0-OpenSSH\r\n')).toBeNull();
    expect([200, 302, 399].map(isHealthy)).toEqual([true, true, true]);
    expect([199, 400, 500, null].map(isHealthy)).toEqual([false, false, false, false]);
  });
});
