// Compose apps on a cluster: the stack file made from the user's compose file (the routed service replicated
// with the image-app rules, the others as the file says), what Swarm cannot run refused at create, and a deploy
// over a recording executor and a real SQLite state.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createJobRunner, type JobRunner } from '../../../src/adapters/jobs/runner.js';
import { parseComposeFile } from '../../../src/core/plans/deploy-compose.js';
import { renderComposeStack } from '../../../src/core/swarm/compose-stack.js';
import { renderAppStack } from '../../../src/core/swarm/stack.js';
import { prepareAppUpdate } from '../../../src/services/apps/app-update.js';
import { createApp } from '../../../src/services/apps/apps.js';
import { setEnv } from '../../../src/services/apps/env.js';
import { clusterDeployPlan, clusterRollbackPlan } from '../../../src/services/clusters/cluster-app-ops.js';
import { prepareCreateCluster } from '../../../src/services/clusters/create.js';
import { registerServer } from '../../../src/services/servers/servers.js';
import type { Ctx } from '../../../src/services/shared/context.js';
import { runPlan } from '../../../src/services/shared/job-plan.js';
import { RecordingExecutor } from '../../harness/recording-executor.js';
import { openTestState, type TestState } from '../../helpers/state.js';

const COMPOSE = `
services:
  web:
    image: registry.example/shop/web:2
    ports: ["8080:3000"]
    container_name: shop-web
    restart: always
    environment:
      - DATABASE_URL=postgres://shop:\${DB_PASSWORD}@db/shop
      - MODE
    labels: ["team=shop"]
    deploy:
      labels: { tier: front }
  db:
    image: registry.example/postgres:15
    environment:
      POSTGRES_PASSWORD: \${DB_PASSWORD}
    volumes: ["dbdata:/var/lib/postgresql/data"]
volumes:
  dbdata: {}
`;

const base = {
  app: 'shop',
  port: 3000,
  replicas: 3,
  placement: ['node.role==worker'],
  maxPerNode: 2,
  network: 'infrakt-prod',
  release: 7,
  healthPath: '/health',
};
const env = new Map([
  ['DB_PASSWORD', 'pa$$w"rd'],
  ['MODE', 'on'],
]);

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, read by path in the assertions
type Svc = Record<string, any>;

describe('compose stack file', () => {
  it('replicates the routed service under the image-app rules; the other services run as the file says', () => {
    const s = renderComposeStack({ ...base, doc: parseComposeFile(COMPOSE), env });
    expect(s).toMatchObject({
      routed: 'web',
      routedImage: 'registry.example/shop/web:2',
      images: ['registry.example/shop/web:2', 'registry.example/postgres:15'],
    });
    // The Docker CLI reads stack files as YAML 1.1: every value must come back as the string it was.
    const doc = parse(s.yaml, { version: '1.1' }) as Svc;
    expect(doc.version).toBe('3.8');
    expect(Object.keys(doc.services)).toEqual(['app', 'db']);
    const app = doc.services.app as Svc;
    expect(app.image).toBe('registry.example/shop/web:2');
    // No host port (only the edge publishes), no container name, no compose restart: Swarm's policy.
    expect(app.ports).toBeUndefined();
    expect(app.container_name).toBeUndefined();
    expect(app.restart).toBeUndefined();
    // The app's variables: `${VAR}` resolved in the file, a bare name takes its value, `$` kept literal for Swarm.
    expect(app.environment).toEqual({
      DATABASE_URL: 'postgres://shop:pa$$$$w"rd@db/shop',
      MODE: 'on',
      DB_PASSWORD: 'pa$$$$w"rd',
      INFRAKT_RELEASE: '7',
    });
    // Its own name stays an alias on the stack network; the cluster network lets the edge reach its tasks.
    expect(app.networks).toEqual({ default: { aliases: ['web'] }, cluster: {} });
    expect(app.labels).toEqual({ team: 'shop', 'infrakt.app': 'shop' });
    expect(app.healthcheck.test[1]).toContain("wget -q -O /dev/null 'http://127.0.0.1:3000/health'");
    expect(app.deploy).toEqual({
      labels: { tier: 'front', 'infrakt.app': 'shop', 'infrakt.release': '7' },
      mode: 'replicated',
      replicas: 3,
      endpoint_mode: 'dnsrr',
      placement: { constraints: ['node.role==worker'], max_replicas_per_node: 2 },
      update_config: {
        parallelism: 1,
        order: 'start-first',
        failure_action: 'rollback',
        monitor: '10s',
        max_failure_ratio: 0,
      },
      rollback_config: { parallelism: 1, order: 'start-first' },
      restart_policy: { condition: 'any', delay: '2s' },
      resources: { limits: { memory: '512M' } },
    });
    expect(doc.services.db).toEqual({
      image: 'registry.example/postgres:15',
      environment: { POSTGRES_PASSWORD: 'pa$$$$w"rd' },
      volumes: ['dbdata:/var/lib/postgresql/data'],
    });
    expect(doc.volumes).toEqual({ dbdata: {} });
    expect(doc.networks).toEqual({ cluster: { external: true, name: 'infrakt-prod' } });
  });

  it("keeps the file's own health check, resources and networks (with the alias added)", () => {
    const s = renderComposeStack({
      ...base,
      env: new Map(),
      doc: parseComposeFile(`
services:
  api:
    image: api:1
    expose: [3000]
    networks: [back]
    healthcheck: { test: ["CMD", "/bin/check"], interval: 5s }
    deploy: { resources: { limits: { memory: 1G } }, restart_policy: { condition: on-failure } }
networks:
  back: {}
`),
    });
    const app = (parse(s.yaml, { version: '1.1' }) as Svc).services.app as Svc;
    expect(app.healthcheck).toEqual({ test: ['CMD', '/bin/check'], interval: '5s' });
    expect(app.deploy.resources).toEqual({ limits: { memory: '1G' } });
    expect(app.deploy.restart_policy).toEqual({ condition: 'on-failure' });
    expect(app.networks).toEqual({ back: { aliases: ['api'] }, cluster: {} });
  });

  it('refuses what Swarm cannot run here: a build, a published port on another service, a clash of names', () => {
    const render = (yaml: string) => () => renderComposeStack({ ...base, env, doc: parseComposeFile(yaml) });
    expect(render('services:\n  web: { build: ., expose: [3000] }\n')).toThrow(/has a build section/);
    expect(
      render('services:\n  web: { image: w, expose: [3000] }\n  adm: { image: a, ports: ["9000:9000"] }\n'),
    ).toThrow(/'adm' publishes ports/);
    expect(render('services:\n  web: { image: w, expose: [3000] }\n  app: { image: a }\n')).toThrow(
      /service 'app' does not carry the app's port/,
    );
    expect(render('services:\n  web: { image: w, expose: [3000] }\nnetworks:\n  cluster: {}\n')).toThrow(
      /network named 'cluster'/,
    );
  });

  it('an image app stack writes its variables as literal strings too', () => {
    const doc = parse(renderAppStack({ ...base, image: 'web:1', env: { MODE: 'on', PASS: 'a$b' } }), {
      version: '1.1',
    }) as Svc;
    expect(doc.services.app.environment).toEqual({ MODE: 'on', PASS: 'a$$b', INFRAKT_RELEASE: '7' });
  });
});

describe('compose apps on a cluster (recording executor, real store)', () => {
  let state: TestState;
  let jobs: JobRunner;
  let ex: RecordingExecutor;
  let ctx: Ctx;

  beforeEach(async () => {
    state = openTestState();
    jobs = createJobRunner({ store: state.ctx.store, clock: { now: () => new Date() }, actor: 'tester' });
    ex = new RecordingExecutor();
    ctx = { ...state.ctx, jobs, connect: async () => ex };
    await registerServer(ctx, { name: 'm1', host: '10.9.0.1', root: '/srv/ikt' });
    await prepareCreateCluster(ctx, { name: 'prod', manager: 'm1' });
    await ctx.store.db.updateTable('clusters').set({ status: 'active' }).execute();
  });

  afterEach(async () => {
    jobs.close();
    await state.close();
  });

  it('refuses at create what the cluster cannot run, storing nothing', async () => {
    await expect(
      createApp(ctx, {
        name: 'b',
        port: 3000,
        composeFile: 'services:\n  web: { build: ., expose: [3000] }\n',
        cluster: { cluster: 'prod' },
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('build section') });
    expect(await ctx.store.db.selectFrom('apps').selectAll().execute()).toEqual([]);
    // A new file for a compose app already on the cluster is held to the same rules.
    await createApp(ctx, {
      name: 'ok',
      port: 3000,
      composeFile: 'services:\n  web: { image: w, expose: [3000] }\n',
      cluster: { cluster: 'prod' },
    });
    await expect(
      prepareAppUpdate(ctx, 'ok', { composeFile: 'services:\n  web: { image: w, expose: [3000], build: . }\n' }),
    ).rejects.toMatchObject({ code: 'VALIDATION', message: expect.stringContaining('build section') });
  });

  it('deploys the stack file 0600 on a manager, resolving registry images, and follows the routed service', async () => {
    const v = await createApp(ctx, {
      name: 'shop',
      port: 3000,
      domain: 'shop.example.com',
      composeFile: COMPOSE,
      cluster: { cluster: 'prod', replicas: 2 },
    });
    expect(v).toMatchObject({ type: 'compose', server: 'm1', cluster: { cluster: 'prod', replicas: 2 } });
    await setEnv(ctx, 'shop', ['DB_PASSWORD=s3cret-Value', 'MODE=live']);
    const ready = [
      '{"swarm":{"NodeID":"n1","LocalNodeState":"active","ControlAvailable":true,"Cluster":{"ID":"c"}},"version":"26.1"}',
      '{"ID":"n1","Hostname":"node1","Status":"Ready","Availability":"Active","ManagerStatus":"Leader","EngineVersion":"26.1"}',
    ].join('\n');
    const task = (id: string, node: string) =>
      JSON.stringify({
        ID: id,
        Name: `ikt-shop_app.${id}`,
        Image: 'registry.example/shop/web:2',
        Node: node,
        DesiredState: 'Running',
        CurrentState: 'Running 3 seconds ago',
        Error: '',
      });
    const inspect = JSON.stringify({
      Spec: {
        TaskTemplate: { ContainerSpec: { Image: `registry.example/shop/web:2@sha256:${'a'.repeat(64)}` } },
        Mode: { Replicated: { Replicas: 2 } },
      },
    });
    ex.on(/docker info .*&& docker node ls/, { stdout: ready })
      .on('docker service inspect', { exitCode: 1, stderr: 'no such service' }, 1)
      .on('docker service inspect', { stdout: [inspect, task('t1', 'node1'), task('t2', 'node2')].join('\n') });
    const plan = await clusterDeployPlan(ctx, 'shop', {});
    const r = await runPlan(ctx, plan!);
    expect(r).toMatchObject({ image: 'registry.example/shop/web:2', replicas: 2, perNode: { node1: 1, node2: 1 } });
    const file = ex.puts.find((p) => p.path === '/srv/ikt/clusters/prod/apps/shop.yml')!;
    expect(file.mode).toBe(0o600);
    const doc = parse(file.content, { version: '1.1' }) as Svc;
    expect(Object.keys(doc.services)).toEqual(['app', 'db']);
    expect(doc.services.app.environment.DATABASE_URL).toBe('postgres://shop:s3cret-Value@db/shop');
    expect(doc.services.app.deploy.replicas).toBe(2);
    expect(ex.commands).toContain(
      'docker stack deploy --compose-file /srv/ikt/clusters/prod/apps/shop.yml --prune --resolve-image always --with-registry-auth ikt-shop',
    );
    for (const c of ex.commands) expect(c).not.toContain('s3cret-Value');
    expect(JSON.stringify(await jobs.logs(r.jobId))).not.toContain('s3cret-Value');
    // The edge routes the domain to the routed service's tasks.
    const edge = ex.commands.findIndex((c) => c.includes('docker config create'));
    expect(edge).toBeGreaterThan(-1);
    await expect(clusterDeployPlan(ctx, 'shop', { localImage: 'web:dev' })).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: expect.stringContaining('no --local-image'),
    });
    await expect(clusterRollbackPlan(ctx, 'shop', {})).rejects.toMatchObject({
      code: 'UNSUPPORTED',
      message: "'shop' is a compose app: roll back by deploying the previous file",
    });
  });
});
