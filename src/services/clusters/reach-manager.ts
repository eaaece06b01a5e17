import type { SwarmNodeRow } from '../../core/commands/swarm.js';
import { InfraktError, toInfraktError } from '../../core/errors.js';
import type { Executor } from '../../core/executor.js';
import { type ManagerProbe, managerProbe, parseManagerProbe } from '../../core/swarm/manager-probe.js';
import type { Ctx } from '../shared/context.js';
import { type ClusterMember, type ClusterRecord, managersOf } from './clusters.js';

export interface ReachedManager {
  ex: Executor;
  manager: ClusterMember;
  /** The nodes as this manager reported them (roles, leader, status). */
  nodes: SwarmNodeRow[];
  /** Managers asked before this one, with why they could not act. */
  passedOver: { server: string; error: string }[];
}

export interface ReachOptions {
  signal?: AbortSignal | undefined;
  /**
   * How long to keep asking while managers answer but their swarm has no leader (an election takes some
   * seconds after the leader is lost). 0: one round only.
   */
  electionWaitMs?: number | undefined;
  /** Told of each manager passed over and of each wait, for a job log. */
  onNote?: ((line: string) => void) | undefined;
  /** Between two rounds (tests pass a shorter one). */
  retryMs?: number | undefined;
  /** A manager not to act through (the one being removed: it is demoted during the operation). */
  excludeServerId?: number | undefined;
}

/** The probe of one manager gets this long: a hung engine must not hold an operation that another can serve. */
const PROBE_TIMEOUT_MS = 30_000;
export const ELECTION_WAIT_MS = 60_000;
/**
 * Reads (`cluster show`, `app ps`, `app logs`) wait less, but long enough for one election: Swarm's raft times a
 * leader out after 10 to 20 ticks of 1 s, then votes.
 */
export const READ_ELECTION_WAIT_MS = 30_000;

/**
 * The first manager of the cluster that can act: reachable over SSH, its engine up, still a swarm manager, and
 * its swarm with a leader. Managers are asked in the cluster's order; while some answer without a leader (an
 * election is under way, or quorum is lost), they are asked again until `electionWaitMs` has passed. The
 * executor of the manager returned stays open (the caller closes it); every other one is closed.
 */
export async function reachManager(ctx: Ctx, cluster: ClusterRecord, o: ReachOptions = {}): Promise<ReachedManager> {
  const managers = managersOf(cluster).filter((m) => m.server.id !== o.excludeServerId);
  if (!managers.length) throw new InfraktError('STATE', `cluster '${cluster.row.name}' has no other manager`);
  const deadline = Date.now() + (o.electionWaitMs ?? ELECTION_WAIT_MS);
  const open = new Map<string, Executor>();
  const failed = new Map<string, string>();
  const note = (server: string, error: string) => {
    failed.set(server, error);
    o.onNote?.(`${server}: ${error}`);
  };
  let pending = managers;
  try {
    for (;;) {
      const noLeader: ClusterMember[] = [];
      for (const m of pending) {
        const name = m.server.name;
        let ex = open.get(name);
        try {
          if (!ex) {
            ex = await ctx.connect(m.server, o.signal ? { signal: o.signal } : {});
            open.set(name, ex);
          }
          const p: ManagerProbe = parseManagerProbe(
            await ex.run(managerProbe(), { timeoutMs: PROBE_TIMEOUT_MS, ...(o.signal ? { signal: o.signal } : {}) }),
          );
          if (p.kind === 'ready') {
            open.delete(name);
            const passedOver = managers
              .filter((x) => x !== m && failed.has(x.server.name))
              .map((x) => ({ server: x.server.name, error: failed.get(x.server.name)! }));
            return { ex, manager: m, nodes: p.nodes, passedOver };
          }
          if (p.kind === 'no-leader') noLeader.push(m);
          note(name, p.kind === 'engine-down' ? `Docker engine not answering (${p.reason})` : p.reason);
        } catch (e) {
          if (o.signal?.aborted) throw e;
          note(name, toInfraktError(e).message);
        }
      }
      if (!noLeader.length || Date.now() >= deadline) {
        throw noManagerError(cluster, managers, failed, noLeader.length > 0);
      }
      o.onNote?.(`no leader yet (${noLeader.map((m) => m.server.name).join(', ')} answer): asking again`);
      await pause(Math.min(o.retryMs ?? 2000, Math.max(0, deadline - Date.now())), o.signal);
      pending = noLeader;
    }
  } finally {
    for (const ex of open.values()) await ex.close().catch(() => undefined);
  }
}

function noManagerError(
  cluster: ClusterRecord,
  managers: readonly ClusterMember[],
  failed: ReadonlyMap<string, string>,
  leaderless: boolean,
): InfraktError {
  const why = managers.map((m) => `${m.server.name}: ${failed.get(m.server.name) ?? 'not asked'}`).join('; ');
  if (leaderless) {
    return new InfraktError('STATE', `the swarm of cluster '${cluster.row.name}' has no leader`, {
      hint: `fewer than a majority of its ${managers.length} manager(s) are up: bring managers back (${why})`,
    });
  }
  return new InfraktError('SSH_UNREACHABLE', `no manager of cluster '${cluster.row.name}' is reachable`, {
    hint: why,
  });
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((done, fail) => {
    if (signal?.aborted) return fail(signal.reason);
    const t = setTimeout(done, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        fail(signal.reason);
      },
      { once: true },
    );
  });
}
