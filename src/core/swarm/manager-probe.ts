import { and, type Cmd } from '../cmd/index.js';
import {
  nodeList,
  parseNodeList,
  parseSwarmInfo,
  type SwarmInfo,
  type SwarmNodeRow,
  swarmInfo,
} from '../commands/swarm.js';

/**
 * Whether a manager can act for its cluster, in one round trip: `docker info` (is the engine up, is it a swarm
 * manager), then `docker node ls`, which a manager answers only while the swarm has a leader (swarmkit sends
 * control requests to the leader). A manager whose engine answers but whose swarm has no leader is either cut off
 * from the others or in the seconds of an election after the leader went away: worth asking again shortly.
 */
export const managerProbe = (): Cmd => and(swarmInfo(), nodeList());

export type ManagerProbe =
  | { kind: 'ready'; info: SwarmInfo; nodes: SwarmNodeRow[] }
  /** The engine did not answer (stopped, hung, or no Docker there). */
  | { kind: 'engine-down'; reason: string }
  /** The engine answers but is not (or no longer) a manager of an active swarm. */
  | { kind: 'not-manager'; info: SwarmInfo; reason: string }
  /** A manager whose swarm has no leader right now. */
  | { kind: 'no-leader'; info: SwarmInfo; reason: string };

const lastLine = (text: string): string =>
  text
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .at(-1) ?? '';

export function parseManagerProbe(r: { exitCode: number; stdout: string; stderr: string }): ManagerProbe {
  const [first, ...rest] = r.stdout.split('\n').filter((l) => l.trim());
  if (!first) return { kind: 'engine-down', reason: lastLine(r.stderr) || `docker info exited ${r.exitCode}` };
  const info = parseSwarmInfo(first);
  // With the daemon down the client still prints the template, its server fields empty, and fails.
  if (r.exitCode !== 0 && !info.engineVersion) {
    return { kind: 'engine-down', reason: lastLine(r.stderr) || `docker info exited ${r.exitCode}` };
  }
  if (info.state !== 'active' || !info.isManager) {
    return {
      kind: 'not-manager',
      info,
      reason: info.state === 'active' ? 'a worker, not a manager' : `not a swarm manager (swarm ${info.state})`,
    };
  }
  if (r.exitCode !== 0) {
    return { kind: 'no-leader', info, reason: lastLine(r.stderr) || `docker node ls exited ${r.exitCode}` };
  }
  return { kind: 'ready', info, nodes: parseNodeList(rest.join('\n')) };
}

/** The node list's leader, by hostname (null while there is none). */
export const leaderOf = (nodes: readonly SwarmNodeRow[]): string | null =>
  nodes.find((n) => n.managerStatus === 'Leader')?.hostname ?? null;
