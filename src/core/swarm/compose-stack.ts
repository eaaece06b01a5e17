import { validation } from '../errors.js';
import { interpolateDoc, mergeEnvironment, toComposeYaml } from '../plans/compose-env.js';
import { routedService } from '../plans/deploy-compose.js';
import { type AppStackInput, healthcheckOf, routedDeploy } from './stack.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The stack's name for the routed service: every cluster app's replicas are `ikt-<app>_app` (edge, ps, logs). */
const ROUTED = 'app';
const CLUSTER_NET = 'cluster';

export interface ComposeStackInput extends Omit<AppStackInput, 'image' | 'env'> {
  /** The user's compose file, parsed (parseComposeFile). */
  doc: Obj;
  env: ReadonlyMap<string, string>;
}

export interface ComposeStack {
  yaml: string;
  /** The user's name of the routed service, and its image (the release's image in job results). */
  routed: string;
  routedImage: string;
  /** Every service's image (whether the manager resolves them at a registry). */
  images: string[];
}

/**
 * The stack file of a compose app on a cluster. The service that carries the app's port (the same rule as on one
 * server) is the replicated one: renamed `app` in the stack (its own name stays an alias on its networks, so the
 * other services reach it as before), on the cluster network as well so the edge reaches its tasks, with the
 * rules of an image app (replicas, placement, start-first update rolled back by Swarm on failure, the health
 * check unless the file has one, a memory limit unless it sets resources) and the app's variables. The other
 * services run as the file says (one replica unless their `deploy` says otherwise) on the stack's own network.
 *
 * Refused, with the reason: `build` (a cluster runs images every node can get), a host port on a service
 * (published through Swarm's routing mesh on every node, bypassing the edge), a service of another role named
 * `app`, a network of the file named `cluster`.
 */
export function renderComposeStack(i: ComposeStackInput): ComposeStack {
  const doc = interpolateDoc(structuredClone(i.doc), i.env);
  const services = doc.services as Obj;
  const routed = routedService(doc, i.port);
  for (const [name, raw] of Object.entries(services)) {
    const svc = raw as Obj;
    if (svc.build !== undefined) {
      throw validation(
        `service '${name}' has a build section: a cluster runs images`,
        'build and push the image to a registry the nodes reach, and name it under "image:"',
      );
    }
    if (name !== routed && svc.ports !== undefined) {
      throw validation(
        `service '${name}' publishes ports: on a cluster only the edge proxy publishes`,
        `reach it from the other services by its name, or route a domain to the app's service`,
      );
    }
    if (name === ROUTED && name !== routed) {
      throw validation(
        `service 'app' does not carry the app's port: on a cluster that name is kept for the service that does`,
        'rename that service in the compose file',
      );
    }
  }
  if (isObj(doc.networks) && CLUSTER_NET in doc.networks) {
    throw validation(
      `the compose file declares a network named '${CLUSTER_NET}', which infrakt uses`,
      'rename that network in the compose file',
    );
  }
  const own = services[routed] as Obj;
  const { ports: _ports, container_name: _name, restart: _restart, ...kept } = own;
  const app: Obj = {
    ...kept,
    environment: { ...mergeEnvironment(own.environment, i.env), INFRAKT_RELEASE: String(i.release) },
    networks: routedNetworks(own.networks, routed),
    labels: { ...labelsMap(own.labels), 'infrakt.app': i.app },
    healthcheck: own.healthcheck ?? healthcheckOf(i),
    deploy: routedDeploy(i, isObj(own.deploy) ? own.deploy : {}),
  };
  const others = Object.fromEntries(Object.entries(services).filter(([n]) => n !== routed));
  const out: Obj = {
    ...doc,
    version: '3.8',
    services: { [ROUTED]: app, ...others },
    networks: { ...(isObj(doc.networks) ? doc.networks : {}), [CLUSTER_NET]: { external: true, name: i.network } },
  };
  const images = Object.values(services).map((s) => String((s as Obj).image));
  return { yaml: toComposeYaml(out), routed, routedImage: String(own.image), images };
}

/** The routed service's networks as a map: its own (the stack's default when none), each with its name as an alias. */
function routedNetworks(own: unknown, name: string): Obj {
  const list: Obj = Array.isArray(own)
    ? Object.fromEntries(own.map((n) => [String(n), {}]))
    : isObj(own)
      ? { ...own }
      : { default: {} };
  const out: Obj = {};
  for (const [net, cfg] of Object.entries(list)) {
    const c = isObj(cfg) ? cfg : {};
    const aliases = Array.isArray(c.aliases) ? c.aliases.map(String) : [];
    out[net] = { ...c, aliases: aliases.includes(name) ? aliases : [...aliases, name] };
  }
  out[CLUSTER_NET] = {};
  return out;
}

function labelsMap(labels: unknown): Obj {
  if (isObj(labels)) return labels;
  if (!Array.isArray(labels)) return {};
  return Object.fromEntries(
    labels.map((l) => {
      const s = String(l);
      const eq = s.indexOf('=');
      return eq < 0 ? [s, ''] : [s.slice(0, eq), s.slice(eq + 1)];
    }),
  );
}

/** Checks a compose file for a cluster at `app create` (the same refusals as at deploy), before anything is stored. */
export function assertComposeForCluster(doc: Obj, port: number): void {
  renderComposeStack({
    doc,
    env: new Map(),
    app: 'check',
    port,
    replicas: 1,
    placement: [],
    maxPerNode: null,
    network: 'check',
    release: 1,
    healthPath: '/',
  });
}
