import { stringify } from 'yaml';
import { mergeEnvironment, toComposeYaml } from '../plans/compose-env.js';

/**
 * Stack files infrakt renders for a Swarm cluster: one stack per app (its service with replicas, a start-first
 * rolling update gated by the health check and rolled back by Swarm on failure), and the cluster's edge stack
 * (Caddy on every node, publishing the cluster's HTTP port in host mode and routing each app domain to the
 * app's tasks over the cluster overlay network).
 *
 * Test machines have no IPVS: Swarm's routing mesh and virtual IPs do not work there, so services use
 * `endpoint_mode: dnsrr` and Caddy resolves `tasks.<service>` itself (dynamic A upstreams, refreshed every
 * second), which works with or without IPVS.
 */

export const EDGE_STACK = 'infrakt-edge';
export const stackOf = (app: string): string => `ikt-${app}`;
export const serviceOf = (app: string): string => `${stackOf(app)}_app`;
export const networkOf = (cluster: string): string => `infrakt-${cluster}`;

export interface AppStackInput {
  app: string;
  image: string;
  port: number;
  replicas: number;
  placement: readonly string[];
  maxPerNode: number | null;
  network: string;
  release: number;
  env: Readonly<Record<string, string>>;
  healthPath: string;
}

export function renderAppStack(i: AppStackInput): string {
  const doc = {
    version: '3.8',
    services: {
      app: {
        image: i.image,
        // Stack deploy interpolates `$` like compose: every value is written as a literal.
        environment: { ...mergeEnvironment(undefined, new Map(Object.entries(i.env))), ...releaseEnv(i) },
        networks: ['cluster'],
        labels: { 'infrakt.app': i.app },
        healthcheck: healthcheckOf(i),
        deploy: routedDeploy(i, {}),
      },
    },
    networks: { cluster: { external: true, name: i.network } },
  };
  // Every string double-quoted: the Docker CLI reads stack files as YAML 1.1, where `on` or `0777` are not strings.
  return toComposeYaml(doc);
}

/** The release number changes the spec on every deploy: Swarm rolls every replica, like a compose deploy. */
const releaseEnv = (i: Pick<AppStackInput, 'release'>) => ({ INFRAKT_RELEASE: String(i.release) });

/**
 * Inside the container: busybox/Debian images have wget, others curl; the task is healthy when either gets a
 * 2xx/3xx from the app's health path.
 */
export function healthcheckOf(i: Pick<AppStackInput, 'port' | 'healthPath'>) {
  const url = `http://127.0.0.1:${i.port}${i.healthPath}`;
  return {
    test: ['CMD-SHELL', `wget -q -O /dev/null '${url}' || curl -fsS -o /dev/null '${url}'`],
    interval: '2s',
    timeout: '2s',
    retries: 3,
    start_period: '10s',
  };
}

/**
 * The `deploy` section of the routed service: replicas, placement, a start-first rolling update that Swarm
 * rolls back when a new task fails its health check, a restart policy and a memory limit. A compose app's own
 * `deploy` keeps its labels, and its restart policy and resources when it sets them.
 */
export function routedDeploy(
  i: Pick<AppStackInput, 'app' | 'replicas' | 'placement' | 'maxPerNode' | 'release'>,
  own: Record<string, unknown>,
): Record<string, unknown> {
  const placement: Record<string, unknown> = {};
  if (i.placement.length) placement.constraints = [...i.placement];
  if (i.maxPerNode) placement.max_replicas_per_node = i.maxPerNode;
  const ownLabels = own.labels && typeof own.labels === 'object' ? own.labels : {};
  return {
    ...own,
    mode: 'replicated',
    replicas: i.replicas,
    endpoint_mode: 'dnsrr',
    ...(Object.keys(placement).length ? { placement } : {}),
    update_config: {
      parallelism: 1,
      order: 'start-first',
      failure_action: 'rollback',
      monitor: '10s',
      max_failure_ratio: 0,
    },
    rollback_config: { parallelism: 1, order: 'start-first' },
    restart_policy: own.restart_policy ?? { condition: 'any', delay: '2s' },
    resources: own.resources ?? { limits: { memory: '512M' } },
    labels: { ...(ownLabels as object), 'infrakt.app': i.app, 'infrakt.release': String(i.release) },
  };
}

export interface EdgeRoute {
  domain: string;
  app: string;
  port: number;
}

/** The edge Caddyfile: plain HTTP sites (TLS is terminated in front of the cluster, see README). */
export function renderEdgeCaddyfile(routes: readonly EdgeRoute[]): string {
  const sites = [...routes]
    .sort((a, b) => a.domain.localeCompare(b.domain))
    .map((r) =>
      [
        `http://${r.domain} {`,
        '\treverse_proxy {',
        '\t\tdynamic a {',
        `\t\t\tname tasks.${serviceOf(r.app)}`,
        `\t\t\tport ${r.port}`,
        '\t\t\trefresh 1s',
        '\t\t}',
        '\t\tlb_policy round_robin',
        // A task that went away between two DNS refreshes: try another one instead of failing the request.
        '\t\tlb_try_duration 10s',
        '\t\tlb_try_interval 250ms',
        '\t\tfail_duration 10s',
        '\t\ttransport http {',
        '\t\t\tdial_timeout 2s',
        '\t\t}',
        '\t}',
        '}',
      ].join('\n'),
    );
  return `${['{', '\tadmin off', '\tauto_https off', '}', ...sites, ':80 {', '\trespond "no app on this domain" 404', '}'].join('\n')}\n`;
}

export function renderEdgeStack(o: { image: string; httpPort: number; network: string; configName: string }): string {
  const doc = {
    version: '3.8',
    services: {
      caddy: {
        image: o.image,
        command: ['caddy', 'run', '--config', '/etc/caddy/Caddyfile', '--adapter', 'caddyfile'],
        networks: ['cluster'],
        ports: [{ target: 80, published: o.httpPort, protocol: 'tcp', mode: 'host' }],
        configs: [{ source: 'caddyfile', target: '/etc/caddy/Caddyfile' }],
        deploy: {
          mode: 'global',
          // A host port cannot be held by two tasks of one node: stop, then start, one node at a time.
          update_config: { parallelism: 1, order: 'stop-first', failure_action: 'rollback', monitor: '5s' },
          restart_policy: { condition: 'any', delay: '2s' },
          labels: { 'infrakt.edge': '1' },
        },
      },
    },
    configs: { caddyfile: { external: true, name: o.configName } },
    networks: { cluster: { external: true, name: o.network } },
  };
  return stringify(doc, { lineWidth: 0 });
}
