import { type Cmd, exec, quietErr, seq, toFile } from '../cmd/index.js';
import { InfraktError } from '../errors.js';

/** Docker Swarm builders (`docker swarm|node|stack|service`) and the parsers of their output. */

/** `docker info` as one JSON line: the swarm state of this engine and its version. */
export const swarmInfo = (): Cmd =>
  exec('docker', 'info', '--format', '{"swarm":{{json .Swarm}},"version":{{json .ServerVersion}}}');

export interface SwarmInfo {
  /** inactive | pending | active | error | locked */
  state: string;
  nodeId: string;
  isManager: boolean;
  clusterId: string | null;
  engineVersion: string;
}

export function parseSwarmInfo(stdout: string): SwarmInfo {
  let v: { swarm?: Record<string, unknown>; version?: string };
  try {
    v = JSON.parse(stdout.trim()) as typeof v;
  } catch {
    throw new InfraktError('COMMAND_FAILED', `unexpected docker info output: ${stdout.slice(0, 200)}`);
  }
  const s = v.swarm ?? {};
  const cluster = s.Cluster as { ID?: string } | null | undefined;
  return {
    state: String(s.LocalNodeState ?? 'inactive'),
    nodeId: String(s.NodeID ?? ''),
    isManager: s.ControlAvailable === true,
    clusterId: cluster?.ID ? cluster.ID : null,
    engineVersion: String(v.version ?? ''),
  };
}

/**
 * `docker swarm init`. Its stdout carries a worker join command with the token: thrown away here, infrakt
 * reads tokens with `joinToken` and hands them over stdin only.
 */
export const swarmInit = (advertiseAddr: string): Cmd =>
  toFile(exec('docker', 'swarm', 'init', '--advertise-addr', advertiseAddr), '/dev/null');

/** Prints the join token of a role (stdout only: the caller wraps it in a Secret at once). */
export const joinToken = (role: 'worker' | 'manager'): Cmd => exec('docker', 'swarm', 'join-token', '--quiet', role);

/**
 * Joins a swarm through the Engine API: the request body (with the join token) is read from stdin, so the
 * token never appears in a command line (`docker swarm join --token` would show it in `ps`). Exit non-zero
 * with the engine's error message on stdout when the join is refused.
 */
export const swarmJoinFromStdin = (): Cmd =>
  exec(
    'curl',
    '-sS',
    '--fail-with-body',
    '--max-time',
    '120',
    '--unix-socket',
    '/var/run/docker.sock',
    '-H',
    'Content-Type: application/json',
    '--data-binary',
    '@-',
    'http://localhost/swarm/join',
  );

/** The stdin of `swarmJoinFromStdin` (contains the token: send it as a Secret). */
export function joinRequestBody(o: { advertiseAddr: string; managerAddrs: readonly string[]; token: string }): string {
  return JSON.stringify({
    ListenAddr: '0.0.0.0:2377',
    AdvertiseAddr: o.advertiseAddr,
    RemoteAddrs: o.managerAddrs.map((a) => (a.includes(':') ? a : `${a}:2377`)),
    JoinToken: o.token,
  });
}

export const swarmLeave = (force: boolean): Cmd => exec('docker', 'swarm', 'leave', ...(force ? ['--force'] : []));

export const nodeList = (): Cmd => exec('docker', 'node', 'ls', '--format', '{{json .}}');

export interface SwarmNodeRow {
  id: string;
  hostname: string;
  /** Ready | Down | Unknown */
  status: string;
  /** Active | Pause | Drain */
  availability: string;
  /** Leader | Reachable | Unreachable | '' (worker) */
  managerStatus: string;
  engineVersion: string;
  self: boolean;
}

export function parseNodeList(stdout: string): SwarmNodeRow[] {
  return jsonLines(stdout).map((r) => ({
    id: String(r.ID ?? ''),
    hostname: String(r.Hostname ?? ''),
    status: String(r.Status ?? ''),
    availability: String(r.Availability ?? ''),
    managerStatus: String(r.ManagerStatus ?? ''),
    engineVersion: String(r.EngineVersion ?? ''),
    self: r.Self === true || r.Self === 'true',
  }));
}

export const nodeAvailability = (nodeId: string, availability: 'active' | 'drain'): Cmd =>
  toFile(exec('docker', 'node', 'update', '--availability', availability, nodeId), '/dev/null');

/** A manager made a worker (Swarm refuses it when the managers left would lose their majority). */
export const nodeDemote = (nodeId: string): Cmd => exec('docker', 'node', 'demote', nodeId);

export const nodeRemove = (nodeId: string, force: boolean): Cmd =>
  exec('docker', 'node', 'rm', ...(force ? ['--force'] : []), nodeId);

/** Tasks still running on a node (drain progress). */
export const nodeTasks = (nodeId: string): Cmd =>
  exec('docker', 'node', 'ps', '--filter', 'desired-state=running', '--format', '{{.ID}} {{.CurrentState}}', nodeId);

/** Exit 0 when the network exists. */
export const networkExists = (name: string): Cmd =>
  quietErr(toFile(exec('docker', 'network', 'inspect', name), '/dev/null'));

export const overlayCreate = (name: string, encrypted: boolean): Cmd =>
  exec(
    'docker',
    'network',
    'create',
    '--driver',
    'overlay',
    '--attachable',
    ...(encrypted ? ['--opt', 'encrypted'] : []),
    '--label',
    'infrakt.cluster=1',
    name,
  );

export const networkRemove = (name: string): Cmd => quietErr(exec('docker', 'network', 'rm', name));

/**
 * `docker stack deploy` of a stack file already on the manager. `resolveImage: never` for images that are on
 * every node already (no registry lookup from the manager); registry images get `always` and
 * `--with-registry-auth` so the nodes pull with the manager's login.
 */
export const stackDeploy = (file: string, stack: string, o: { registryImage: boolean }): Cmd =>
  exec(
    'docker',
    'stack',
    'deploy',
    '--compose-file',
    file,
    '--prune',
    '--resolve-image',
    o.registryImage ? 'always' : 'never',
    ...(o.registryImage ? ['--with-registry-auth'] : []),
    stack,
  );

export const stackRemove = (stack: string): Cmd => exec('docker', 'stack', 'rm', stack);

/** Exit 0 when no service of the stack is left (`stack rm` returns before they are gone). */
export const stackServicesCount = (stack: string): Cmd =>
  exec('docker', 'service', 'ls', '--quiet', '--filter', `label=com.docker.stack.namespace=${stack}`);

/** The service spec and update state, then its tasks: one round trip per convergence poll. */
export const serviceState = (service: string): Cmd =>
  seq(
    exec('docker', 'service', 'inspect', '--format', '{{json .}}', service),
    exec('docker', 'service', 'ps', '--no-trunc', '--format', '{{json .}}', service),
  );

export interface ServiceTask {
  id: string;
  name: string;
  image: string;
  node: string;
  desiredState: string;
  /** e.g. "Running 5 seconds ago", "Starting 2 seconds ago", "Failed 1 second ago" */
  currentState: string;
  error: string;
}

export interface ServiceState {
  image: string;
  replicas: number | null;
  /** updating | completed | paused | rollback_started | rollback_completed | rollback_paused | null */
  updateState: string | null;
  updateStartedAt: string | null;
  updateMessage: string | null;
  /** The Swarm configs the spec mounts (the edge's Caddyfile is one, named by its content hash). */
  configNames: string[];
  tasks: ServiceTask[];
}

export function parseServiceState(stdout: string): ServiceState {
  const [first, ...rest] = stdout.split('\n').filter((l) => l.trim());
  if (!first) throw new InfraktError('COMMAND_FAILED', 'docker service inspect printed nothing');
  const svc = JSON.parse(first) as {
    Spec?: {
      TaskTemplate?: { ContainerSpec?: { Image?: string; Configs?: { ConfigName?: string }[] } };
      Mode?: { Replicated?: { Replicas?: number } };
    };
    UpdateStatus?: { State?: string; StartedAt?: string; Message?: string };
  };
  return {
    image: stripDigest(svc.Spec?.TaskTemplate?.ContainerSpec?.Image ?? ''),
    replicas: svc.Spec?.Mode?.Replicated?.Replicas ?? null,
    updateState: svc.UpdateStatus?.State ?? null,
    updateStartedAt: svc.UpdateStatus?.StartedAt ?? null,
    updateMessage: svc.UpdateStatus?.Message ?? null,
    configNames: (svc.Spec?.TaskTemplate?.ContainerSpec?.Configs ?? []).flatMap((c) => c.ConfigName ?? []),
    tasks: jsonLines(rest.join('\n')).map((t) => ({
      id: String(t.ID ?? ''),
      name: String(t.Name ?? ''),
      image: stripDigest(String(t.Image ?? '')),
      node: String(t.Node ?? ''),
      desiredState: String(t.DesiredState ?? ''),
      currentState: String(t.CurrentState ?? ''),
      error: String(t.Error ?? ''),
    })),
  };
}

export const serviceScale = (service: string, replicas: number): Cmd =>
  exec('docker', 'service', 'scale', '--detach', `${service}=${replicas}`);

export const serviceLogs = (service: string, lines: number): Cmd =>
  exec('docker', 'service', 'logs', '--no-trunc', '--timestamps', '--tail', String(lines), service);

const stripDigest = (image: string) => image.replace(/@sha256:[0-9a-f]{64}$/, '');

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      try {
        return JSON.parse(l) as Record<string, unknown>;
      } catch {
        throw new InfraktError('COMMAND_FAILED', `unexpected docker output: ${l.slice(0, 200)}`);
      }
    });
}

/** Creates a Swarm config from stdin unless one of that name exists (config names carry a content hash). */
export const configCreateFromStdin = (name: string): Cmd =>
  exec(
    'sh',
    '-c',
    'docker config inspect "$1" >/dev/null 2>&1 || docker config create --label infrakt.edge=1 "$1" - >/dev/null',
    'sh',
    name,
  );

/** Removes edge configs no service uses any more (Swarm refuses to remove one in use: those stay). */
export const pruneEdgeConfigs = (): Cmd =>
  exec(
    'sh',
    '-c',
    'for c in $(docker config ls --quiet --filter label=infrakt.edge=1); do docker config rm "$c" >/dev/null 2>&1; done; true',
  );
