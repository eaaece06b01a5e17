import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { render } from '../../../src/core/cmd/index.js';
import * as swarm from '../../../src/core/commands/swarm.js';
import { placementSchema } from '../../../src/core/schemas/cluster.js';
import { renderAppStack, renderEdgeCaddyfile, renderEdgeStack } from '../../../src/core/swarm/stack.js';
import { followConvergence } from '../../../src/services/clusters/converge.js';
import { RecordingExecutor } from '../../harness/recording-executor.js';

describe('swarm builders', () => {
  it('init throws away its stdout (it prints a join command with the token)', () => {
    expect(render(swarm.swarmInit('10.0.0.5'))).toBe('docker swarm init --advertise-addr 10.0.0.5 > /dev/null');
  });

  it('join reads the request (with the token) from stdin: no token in the command line', () => {
    const cmd = render(swarm.swarmJoinFromStdin());
    expect(cmd).toBe(
      "curl -sS --fail-with-body --max-time 120 --unix-socket /var/run/docker.sock -H 'Content-Type: application/json' --data-binary @- http://localhost/swarm/join",
    );
    const body = JSON.parse(
      swarm.joinRequestBody({ advertiseAddr: '10.0.0.6', managerAddrs: ['10.0.0.5'], token: 'SWMTKN-1-x' }),
    );
    expect(body).toEqual({
      ListenAddr: '0.0.0.0:2377',
      AdvertiseAddr: '10.0.0.6',
      RemoteAddrs: ['10.0.0.5:2377'],
      JoinToken: 'SWMTKN-1-x',
    });
  });

  it('stack deploy: local images are not resolved at a registry, registry images pass the login on', () => {
    expect(render(swarm.stackDeploy('/x/web.yml', 'ikt-web', { registryImage: false }))).toBe(
      'docker stack deploy --compose-file /x/web.yml --prune --resolve-image never ikt-web',
    );
    expect(render(swarm.stackDeploy('/x/web.yml', 'ikt-web', { registryImage: true }))).toBe(
      'docker stack deploy --compose-file /x/web.yml --prune --resolve-image always --with-registry-auth ikt-web',
    );
  });

  it('parses docker info, node ls and service state', () => {
    expect(
      swarm.parseSwarmInfo(
        '{"swarm":{"NodeID":"n1","LocalNodeState":"active","ControlAvailable":true,"Cluster":{"ID":"c1"}},"version":"20.10.24"}',
      ),
    ).toEqual({ state: 'active', nodeId: 'n1', isManager: true, clusterId: 'c1', engineVersion: '20.10.24' });
    expect(
      swarm.parseSwarmInfo(
        '{"swarm":{"NodeID":"","LocalNodeState":"inactive","ControlAvailable":false,"Cluster":null},"version":"26.1"}',
      ).state,
    ).toBe('inactive');
    const nodes = swarm.parseNodeList(
      '{"Availability":"Active","EngineVersion":"20.10.24","Hostname":"node1","ID":"abc","ManagerStatus":"Leader","Self":true,"Status":"Ready"}\n',
    );
    expect(nodes).toEqual([
      {
        id: 'abc',
        hostname: 'node1',
        status: 'Ready',
        availability: 'Active',
        managerStatus: 'Leader',
        engineVersion: '20.10.24',
        self: true,
      },
    ]);
    expect(() => swarm.parseNodeList('not json')).toThrow(/unexpected docker output/);
  });

  it("service state names the configs the spec mounts (the edge's Caddyfile, by content hash)", () => {
    const st = swarm.parseServiceState(
      [
        JSON.stringify({
          Spec: {
            TaskTemplate: {
              ContainerSpec: {
                Image: `caddy:2@sha256:${'ab'.repeat(32)}`,
                Configs: [{ ConfigName: 'infrakt-edge-0123456789ab' }],
              },
            },
            Mode: { Global: {} },
          },
          UpdateStatus: { State: 'completed', StartedAt: '2026-11-30T10:00:00Z', Message: 'update completed' },
        }),
        '{"ID":"t1","Name":"infrakt-edge_caddy.n1","Image":"caddy:2","Node":"node1","DesiredState":"Running","CurrentState":"Running 2 seconds ago","Error":""}',
      ].join('\n'),
    );
    expect(st).toMatchObject({
      image: 'caddy:2',
      replicas: null,
      updateState: 'completed',
      configNames: ['infrakt-edge-0123456789ab'],
    });
    expect(st.tasks.map((t) => t.node)).toEqual(['node1']);
    expect(swarm.parseServiceState('{}').configNames).toEqual([]);
  });
});

describe('stack files', () => {
  const input = {
    app: 'web',
    image: 'registry.example/web:2',
    port: 3000,
    replicas: 3,
    placement: ['node.labels.zone==a'],
    maxPerNode: 1,
    network: 'infrakt-prod',
    release: 4,
    env: { GREETING: "it's" },
    healthPath: '/health',
  };

  it('renders replicas, placement, a start-first update rolled back on failure, a health check and dnsrr', () => {
    const doc = parse(renderAppStack(input));
    const app = doc.services.app;
    expect(app.image).toBe('registry.example/web:2');
    expect(app.environment).toEqual({ GREETING: "it's", INFRAKT_RELEASE: '4' });
    expect(app.deploy).toMatchObject({
      replicas: 3,
      endpoint_mode: 'dnsrr',
      placement: { constraints: ['node.labels.zone==a'], max_replicas_per_node: 1 },
      update_config: { order: 'start-first', failure_action: 'rollback', parallelism: 1, monitor: '10s' },
    });
    expect(app.healthcheck.test[1]).toContain("'http://127.0.0.1:3000/health'");
    expect(doc.networks.cluster).toEqual({ external: true, name: 'infrakt-prod' });
  });

  it('routes each domain to the tasks of its service, edge published in host mode on every node', () => {
    const caddy = renderEdgeCaddyfile([{ domain: 'web.example.com', app: 'web', port: 3000 }]);
    expect(caddy).toContain('http://web.example.com {');
    expect(caddy).toContain('name tasks.ikt-web_app');
    expect(caddy).toContain('port 3000');
    const edge = parse(
      renderEdgeStack({ image: 'caddy:2', httpPort: 80, network: 'infrakt-prod', configName: 'infrakt-edge-abc' }),
    );
    expect(edge.services.caddy.deploy.mode).toBe('global');
    expect(edge.services.caddy.ports).toEqual([{ target: 80, published: 80, protocol: 'tcp', mode: 'host' }]);
    expect(edge.configs.caddyfile).toEqual({ external: true, name: 'infrakt-edge-abc' });
  });

  it('accepts only placement constraints of the documented forms', () => {
    for (const ok of ['node.labels.zone==a', 'node.role==worker', 'node.hostname != web-3'])
      expect(placementSchema.safeParse(ok).success).toBe(true);
    for (const bad of ['node.labels.zone==a; rm -rf /', 'engine.labels.x==y', 'node.role=worker', '']) {
      expect(placementSchema.safeParse(bad).success, bad).toBe(false);
    }
  });
});

describe('convergence', () => {
  const svc = (state: string | null, started: string | null, image: string) =>
    JSON.stringify({
      Spec: {
        TaskTemplate: { ContainerSpec: { Image: `${image}@sha256:${'a'.repeat(64)}` } },
        Mode: { Replicated: { Replicas: 2 } },
      },
      ...(state ? { UpdateStatus: { State: state, StartedAt: started, Message: 'update rolled back' } } : {}),
    });
  const task = (image: string, node: string, desired: string, current: string, error = '') =>
    JSON.stringify({
      ID: `${node}${current}`,
      Name: 'ikt-web_app.1',
      Image: image,
      Node: node,
      DesiredState: desired,
      CurrentState: current,
      Error: error,
    });
  const log: string[] = [];
  const s = { log: (l: string) => log.push(l), detail: () => {}, unchanged: () => {}, exitCode: () => {} };
  const opts = {
    service: 'ikt-web_app',
    replicas: 2,
    before: 'T0',
    expectUpdate: true,
    timeoutMs: 5000,
    signal: new AbortController().signal,
    pollMs: 1,
  };

  it('waits until every replica of the new image runs and the update completed', async () => {
    const ex = new RecordingExecutor();
    ex.on(
      'docker service inspect',
      {
        stdout: `${svc('completed', 'T0', 'web:1')}\n${task('web:1', 'n1', 'Running', 'Running 1 minute ago')}\n${task('web:1', 'n2', 'Running', 'Running 1 minute ago')}`,
      },
      1,
    );
    ex.on(
      'docker service inspect',
      {
        stdout: `${svc('updating', 'T1', 'web:2')}\n${task('web:2', 'n1', 'Running', 'Starting 1 second ago')}\n${task('web:1', 'n2', 'Running', 'Running 1 minute ago')}`,
      },
      1,
    );
    ex.on('docker service inspect', {
      stdout: `${svc('completed', 'T1', 'web:2')}\n${task('web:2', 'n1', 'Running', 'Running 1 second ago')}\n${task('web:2', 'n2', 'Running', 'Running 1 second ago')}`,
    });
    const done = await followConvergence(ex, s, opts);
    expect(done.perNode).toEqual({ n1: 1, n2: 1 });
    expect(ex.commands.length).toBe(3);
    expect(log.at(-1)).toBe('2/2 healthy of web:2 (completed) — n1: 1, n2: 1');
  });

  it('reports a rollback by Swarm as a failed health check with the failed tasks', async () => {
    const ex = new RecordingExecutor();
    ex.on('docker service inspect', {
      stdout: `${svc('rollback_completed', 'T1', 'web:1')}\n${task('web:1', 'n1', 'Running', 'Running 3 seconds ago')}\n${task('web:1', 'n2', 'Running', 'Running 3 seconds ago')}\n${task('web:2', 'n1', 'Shutdown', 'Failed 5 seconds ago', 'task: non-zero exit (1): dockerexec: unhealthy container')}`,
    });
    await expect(followConvergence(ex, s, opts)).rejects.toMatchObject({
      code: 'HEALTH_CHECK_FAILED',
      message: expect.stringContaining('Swarm rolled back to web:1, which keeps serving'),
      details: { tasks: [expect.stringContaining('unhealthy container')] },
    });
  });

  it('times out with where the replicas are', async () => {
    const ex = new RecordingExecutor();
    ex.on('docker service inspect', {
      stdout: `${svc(null, null, 'web:1')}\n${task('web:1', 'n1', 'Running', 'Pending 3 seconds ago', 'no suitable node')}`,
    });
    await expect(followConvergence(ex, s, { ...opts, expectUpdate: false, timeoutMs: 50 })).rejects.toMatchObject({
      code: 'TIMEOUT',
    });
  });
});
