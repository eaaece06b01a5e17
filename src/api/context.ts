import { hostname } from 'node:os';
import { connect } from '../adapters/connect.js';
import { createJobRunner, type JobRunner } from '../adapters/jobs/runner.js';
import { ensureHome, type Paths } from '../adapters/local/home.js';
import { lazyEnvCipher } from '../adapters/secrets/env-cipher.js';
import { loadMasterKey } from '../adapters/secrets/master-key.js';
import { openStore } from '../adapters/store/open.js';
import type { Store } from '../adapters/store/store.js';
import { edgeAwareConnect } from '../services/edge/route.js';
import { withJobNotifications } from '../services/notifications/job-events.js';
import { type Connect, type Ctx, systemClock } from '../services/shared/context.js';

export interface ApiCtx extends Ctx {
  readonly jobs: JobRunner;
  close(): Promise<void>;
}

/**
 * The long-lived context of `infrakt serve`: state initialised on start, one store connection,
 * one in-process job runner (creating it marks jobs of a dead process as interrupted).
 */
export function openApiContext(paths: Paths, opts: { connect?: Connect; store?: Store } = {}): ApiCtx {
  ensureHome(paths);
  // The store opened by the caller (Postgres opens asynchronously: startApiServer), else the SQLite file.
  const store = opts.store ?? openStore(paths.db);
  const cipher = lazyEnvCipher(() => loadMasterKey(paths.masterKey));
  const actor = 'api';
  const jobs = withJobNotifications(
    createJobRunner({
      store,
      clock: systemClock,
      actor,
      runner: `infrakt serve pid ${process.pid} on ${hostname()}`,
    }),
    { store, clock: systemClock },
  );
  return {
    store,
    cipher,
    paths,
    clock: systemClock,
    actor,
    connect: opts.connect ?? edgeAwareConnect(store, connect),
    jobs,
    async close() {
      await jobs.pending();
      jobs.close();
      await store.close();
    },
  };
}
