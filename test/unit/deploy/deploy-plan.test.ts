import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { render } from '../../../src/core/cmd/index.js';
import { deployPlan } from '../../../src/core/plans/deploy.js';
import {
  imageComposeFile,
  parseComposeFile,
  routedService,
  splitCompose,
} from '../../../src/core/plans/deploy-compose.js';
import { appLayout, releasesToPrune } from '../../../src/core/plans/layout.js';

const base = {
  app: 'web',
  root: '/srv/ikt',
  release: 4,
  port: 3000,
  flavour: 'v2',
  domain: 'web.example.com',
} as const;

describe('deployPlan', () => {
  it('image deploy: ordered steps, only start has a compensation, switch after health', () => {
    const steps = deployPlan({ ...base, action: 'deploy', source: { type: 'image', image: 'nginx:alpine' } });
    expect(steps.map((s) => s.name)).toEqual([
      'prepare server',
      'check image',
      'write release files',
      'start new release',
      'health check',
      'switch proxy',
      'retire previous release',
      'record release',
    ]);
    const start = steps.find((s) => s.kind === 'start')!;
    expect(render(start.compensate![0]!)).toContain("--filter 'label=com.docker.compose.project=web-r4'");
    expect(render(steps[1]!.cmds![0]!)).toBe(
      "docker image inspect --format '{{.Id}}|{{range .RepoDigests}}{{.}} {{end}}' nginx:alpine && docker tag nginx:alpine infrakt-app/web:r4",
    );
    expect(steps.filter((s) => s.compensate).map((s) => s.kind)).toEqual(['start']);
    expect(steps.findIndex((s) => s.kind === 'health')).toBeLessThan(steps.findIndex((s) => s.kind === 'switch'));
    expect(render(steps[0]!.cmds![0]!)).toBe(
      'mkdir -p /srv/ikt/apps/web && chmod 700 /srv/ikt/apps/web && mkdir -p /srv/ikt/apps/web/releases/4 && mkdir -p /srv/ikt/backups && chmod 700 /srv/ikt/backups && mkdir -p /srv/ikt/caddy/data && chmod 700 /srv/ikt/caddy/data',
    );
  });

  it('git deploy builds (from the written files); compose deploy updates the other services in place', () => {
    const git = deployPlan({ ...base, action: 'deploy', source: { type: 'git', repo: '/repos/x', branch: 'main' } });
    expect(git.map((s) => s.kind)).toEqual([
      'prepare',
      'source',
      'write',
      'build',
      'services',
      'start',
      'health',
      'switch',
      'retire',
      'record',
    ]);
    // The build is undone with the release when a later step fails before the switch.
    const build = git.find((s) => s.kind === 'build')!;
    expect(build.name).toBe('build image');
    expect(build.compensate!.map((c) => render(c))).toEqual(['docker rmi infrakt-app/web:r4 2> /dev/null']);
    expect(git.filter((s) => s.compensate).map((s) => s.kind)).toEqual(['build', 'start']);
    const compose = deployPlan({ ...base, action: 'deploy', source: { type: 'compose', content: 'services: {}' } });
    expect(compose.map((s) => s.kind)).toContain('services');
    // A compose file may have `build:` sections: they build in the build step, not while updating services.
    expect(compose.map((s) => s.kind).indexOf('build')).toBe(compose.map((s) => s.kind).indexOf('write') + 1);
  });

  it('no domain: the switch is skipped with a reason; rollback and env push run the reuse of the source', () => {
    for (const action of ['rollback', 'env-push'] as const) {
      for (const type of ['image', 'git'] as const) {
        const source = type === 'image' ? { type, image: 'x' } : { type, repo: '/repos/x', branch: 'main' as const };
        const steps = deployPlan({ ...base, domain: null, action, source });
        expect(steps.find((s) => s.kind === 'switch')?.skippedBecause).toBe('the app has no domain');
        // The source step runs (it re-tags the kept image): never reported as skipped; nothing is built again.
        expect(steps.find((s) => s.kind === 'source')).toEqual({ name: 'reuse release source', kind: 'source' });
        expect(steps.filter((s) => s.skippedBecause).map((s) => s.kind)).toEqual(['switch']);
        expect(steps.map((s) => s.kind)).not.toContain('build');
      }
    }
  });
});

describe('release files', () => {
  const labels = { app: 'web', root: '/srv/ikt', release: 4 };
  it('image release: one service on its fixed loopback port, never pulled', () => {
    const doc = parse(
      imageComposeFile({
        image: 'infrakt-app/web:r4',
        port: 3000,
        hostPort: 24001,
        env: new Map([
          ['A', 'plain'],
          ['B', "it's $HOME # \\n"],
        ]),
        labels,
      }),
    );
    expect(doc).toEqual({
      services: {
        app: {
          image: 'infrakt-app/web:r4',
          pull_policy: 'never',
          restart: 'unless-stopped',
          init: true,
          ports: ['127.0.0.1:24001:3000'],
          environment: { A: 'plain', B: "it's $$HOME # \\n" },
          labels: { 'infrakt.app': 'web', 'infrakt.root': '/srv/ikt', 'infrakt.release': '4' },
        },
      },
    });
  });

  const userCompose = `
services:
  web:
    image: infrakt-test/web:1
    ports: ["8080:3000"]
    container_name: fixed
    depends_on: [cache]
    volumes: [data:/data]
  cache:
    image: infrakt-test/redis:7
    depends_on: [web]
volumes:
  data: {}
`;
  it('splits a compose app: routed service per release, the others stable, shared network and volumes', () => {
    const doc = parseComposeFile(userCompose);
    expect(routedService(doc, 3000)).toBe('web');
    const split = splitCompose({
      doc,
      port: 3000,
      hostPort: 24002,
      env: new Map([
        ['TOKEN', 's3cr$t'],
        ['USER_SET', 'app value'],
      ]),
      labels,
      network: 'web-svc-net',
      servicesProject: 'web-svc',
      routedImage: 'infrakt-app/web:r4',
    });
    const rel = parse(split.release);
    expect(rel.services.web.ports).toEqual(['127.0.0.1:24002:3000']);
    expect(rel.services.web.container_name).toBeUndefined();
    expect(rel.services.web.depends_on).toBeUndefined();
    expect(rel.services.web.env_file).toBeUndefined();
    expect(rel.services.web.environment).toEqual({ TOKEN: 's3cr$$t', USER_SET: 'app value' });
    expect(rel.networks).toEqual({ default: { external: true, name: 'web-svc-net' } });
    expect(rel.volumes.data).toEqual({
      name: 'web-svc_data',
      labels: { 'infrakt.app': 'web', 'infrakt.root': '/srv/ikt' },
    });
    const svc = parse(split.services!);
    expect(Object.keys(svc.services)).toEqual(['cache']);
    expect(svc.services.cache.depends_on).toEqual([]);
    expect(svc.networks.default).toEqual({ name: 'web-svc-net' });
    expect(split.routedBuilt).toBe(false);
  });

  it('a built routed service gets the per-release tag; rollback drops the build', () => {
    const doc = parseComposeFile('services:\n  app:\n    build: .\n    expose: ["3000"]\n');
    const fresh = splitCompose({
      doc,
      port: 3000,
      labels,
      network: 'n',
      servicesProject: 'p',
      routedImage: 'infrakt-app/web:r4',
      contextDir: '/srv/src',
    });
    expect(parse(fresh.release).services.app).toMatchObject({ build: '/srv/src', image: 'infrakt-app/web:r4' });
    expect(fresh.builds).toBe(true);
    expect(fresh.services).toBeNull();
    const again = splitCompose({
      doc,
      port: 3000,
      labels,
      network: 'n',
      servicesProject: 'p',
      routedImage: 'infrakt-app/web:r5',
      dropBuild: true,
    });
    expect(parse(again.release).services.app.build).toBeUndefined();
    expect(again.builds).toBe(false);
  });

  it('refuses compose files that do not parse or do not say which service serves the port', () => {
    expect(() => parseComposeFile('services: [')).toThrow(/does not parse/);
    expect(() => parseComposeFile('version: "3"')).toThrow(/no services/);
    expect(() => parseComposeFile('services:\n  a:\n    ports: [1]')).toThrow(/image or a build/);
    const two = parseComposeFile('services:\n  a:\n    image: x\n  b:\n    image: y\n');
    expect(() => routedService(two, 3000)).toThrow(/no service/);
  });
});

describe('layout and pruning', () => {
  it('puts everything under <root>/apps/<name>', () => {
    const l = appLayout('/srv/ikt', 'web');
    expect([l.dir, l.envFile, l.releaseFile(2), l.srcDir]).toEqual([
      '/srv/ikt/apps/web',
      '/srv/ikt/apps/web/.env',
      '/srv/ikt/apps/web/releases/2/docker-compose.yml',
      '/srv/ikt/apps/web/src',
    ]);
  });
  it('keeps the newest three releases and the current one', () => {
    expect(releasesToPrune([1, 2, 3, 4, 5], [5])).toEqual([1, 2]);
    expect(releasesToPrune([1, 2, 3, 4, 5], [1])).toEqual([2]);
    expect(releasesToPrune([1, 2], [2])).toEqual([]);
  });
});
