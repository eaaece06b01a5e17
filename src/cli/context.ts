import { existsSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { createJobRunner } from '../adapters/jobs/runner.js';
import { ensureHome, type Paths, resolvePaths } from '../adapters/local/home.js';
import { lazyEnvCipher } from '../adapters/secrets/env-cipher.js';
import { loadMasterKey } from '../adapters/secrets/master-key.js';
import { openStateStore } from '../adapters/store/open-state.js';
import { edgeAwareConnect } from '../services/edge/route.js';
import { stateTrackingJobs } from '../services/governance/governed-jobs.js';
import { deliverDue } from '../services/notifications/dispatcher.js';
import { withJobNotifications } from '../services/notifications/job-events.js';
import { type Connect, type Ctx, systemClock } from '../services/shared/context.js';
import { info } from './output.js';

export interface CliCtx extends Ctx {
  close(): Promise<void>;
}

export function cliActor(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (containers): keep 'unknown'
  }
  return `${user}@${hostname()} (cli)`;
}

/** Where this CLI's local state lives ($INFRAKT_HOME, default ~/.infrakt), for commands that work on it directly. */
export function localPaths(): Paths {
  return resolvePaths();
}

/** Opens local state, creating it on first use (and saying so on stderr). */
export async function openCliContext(opts: { actor?: string } = {}): Promise<CliCtx> {
  const paths = resolvePaths();
  const fresh = !paths.databaseUrl && !existsSync(paths.db);
  const report = ensureHome(paths);
  const store = await openStateStore(paths);
  if (fresh || report.created.length > 0) info(`initialised infrakt state in ${paths.home}`);
  const cipher = lazyEnvCipher(() => loadMasterKey(paths.masterKey));
  // ssh2 costs ~40 ms to load: only commands that actually connect pay for it, and the TCP connection
  // (with sshd's start-up for it, or a round trip to a distant server) is under way meanwhile. Edge servers
  // behind a relay are reached through it (edgeAwareConnect adds `via`): no early socket for those.
  const connect: Connect = edgeAwareConnect(store, async (server, o) => {
    const socket =
      server.host === 'local' || o?.via
        ? undefined
        : (await import('../adapters/ssh/preconnect.js')).preconnectIfPinned(server, o?.hostKeyPolicy);
    return (await import('../adapters/connect.js')).connect(server, { ...o, ...(socket ? { socket } : {}) });
  });
  const actor = opts.actor ?? cliActor();
  const runner = `pid ${process.pid} on ${hostname()}`;
  const raised: number[] = [];
  const jobs = stateTrackingJobs(
    withJobNotifications(
      createJobRunner({ store, clock: systemClock, actor, runner }),
      { store, clock: systemClock },
      (id) => raised.push(id),
    ),
    () => ctx,
  );
  for (const id of (await jobs.recovered).jobs) info(`job ${id} was interrupted (its process is gone): marked failed`);
  const ctx: CliCtx = {
    store,
    cipher,
    paths,
    clock: systemClock,
    actor,
    connect,
    jobs,
    onEventRaised: (id) => raised.push(id),
    close: async () => {
      await jobs.pending();
      // What this command raised goes out now, one attempt each with a short deadline; anything not delivered
      // stays queued for `infrakt serve`, which retries with backoff.
      if (raised.length) await deliverDue(ctx, { runner, eventIds: raised, timeoutMs: 5000 }).catch(() => undefined);
      jobs.close();
      await store.close();
    },
  };
  return ctx;
}

/** Runs a command body with a context, always closing the database. */
export async function withCtx<T>(fn: (ctx: CliCtx) => Promise<T>, opts: { actor?: string } = {}): Promise<T> {
  const ctx = await openCliContext(opts);
  try {
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}

/** App, server and database names for shell completion: read only, nothing created when there is no state. */
export async function readResourceNames(): Promise<{ apps: string[]; servers: string[]; databases: string[] }> {
  const paths = resolvePaths();
  if (!paths.databaseUrl && !existsSync(paths.db)) return { apps: [], servers: [], databases: [] };
  const store = await openStateStore(paths);
  try {
    const apps = await store.db.selectFrom('apps').select(['name', 'app_type']).execute();
    const servers = await store.db.selectFrom('servers').select('name').execute();
    return {
      apps: apps.filter((a) => !a.app_type.startsWith('db:')).map((a) => a.name),
      servers: servers.map((s) => s.name),
      databases: apps.filter((a) => a.app_type.startsWith('db:')).map((a) => a.name),
    };
  } finally {
    await store.close();
  }
}
