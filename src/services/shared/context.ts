import type { HostKeyPolicy } from '../../adapters/connect.js';
import type { Paths } from '../../adapters/local/home.js';
import type { EnvCipher } from '../../adapters/secrets/env-cipher.js';
import type { Store } from '../../adapters/store/open.js';
import type { ServerRow } from '../../adapters/store/schema.js';
import type { Principal } from '../../core/access.js';
import type { Clock } from '../../core/clock.js';
import type { Executor } from '../../core/executor.js';
import type { Jobs } from '../../core/jobs.js';
import type { Resolve } from './ssrf.js';

export const systemClock: Clock = { now: () => new Date() };

/** Opens one connection to a server for one operation (ssh2, or the local executor for host `local`). */
export type Connect = (
  server: ServerRow,
  opts?: {
    signal?: AbortSignal;
    hostKeyPolicy?: HostKeyPolicy;
    /** The operation runs a single command: no persistent shell (it would add a round trip). */
    singleCommand?: boolean;
  },
) => Promise<Executor>;

/**
 * Everything a use-case may touch. Built by each entry point (CLI, API, MCP);
 * no module-level singletons.
 */
export interface Ctx {
  readonly store: Store;
  readonly cipher: EnvCipher;
  readonly paths: Paths;
  readonly clock: Clock;
  /** Who is acting, recorded on jobs, deployments and audit events (e.g. `alice@laptop (cli)`). */
  readonly actor: string;
  readonly connect: Connect;
  /** Durable job runner: every mutating remote operation runs as a job. */
  readonly jobs: Jobs;
  /** DNS for the SSRF check of https git URLs (tests inject one; default: the system resolver). */
  readonly resolve?: Resolve;
  /**
   * Who is acting, with their rights (role/scope). Absent: whoever runs this process on this machine (the CLI), who
   * holds the database and the master key and so may do everything.
   */
  readonly principal?: Principal;
  /** Where the request came from (client address), or `local`; recorded in the audit log. */
  readonly source?: string;
  /** Told of each notification event a service raised outside a job (an approval request): the CLI sends them. */
  readonly onEventRaised?: (eventId: number) => void;
}

export const nowIso = (ctx: Pick<Ctx, 'clock'>): string => ctx.clock.now().toISOString();
