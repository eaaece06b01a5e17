import type { AppRow, ServerRow } from '../../adapters/store/schema.js';
import type { JobSpec } from '../../core/jobs.js';
import { appLock } from '../apps/releases.js';

/** How long `--wait` waits for a job already running on the app (a deploy can take minutes). */
export const APP_LOCK_WAIT_MS = 15 * 60_000;

/**
 * The spec of a job acting on one app or database: target `<server>/<name>`, the app's store lock (one job
 * per app at a time), the steps shown as pending from the start, and with `wait` a wait for that lock
 * instead of LOCKED.
 */
export function appJobSpec(
  app: Pick<AppRow, 'id' | 'name'>,
  server: Pick<ServerRow, 'id' | 'name'>,
  kind: string,
  o: { params: Record<string, unknown>; steps?: readonly string[]; wait?: boolean },
): JobSpec {
  const spec: JobSpec = {
    kind,
    target: `${server.name}/${app.name}`,
    serverId: server.id,
    appId: app.id,
    params: o.params,
    locks: [appLock(app.id)],
  };
  if (o.wait) spec.waitForLocksMs = APP_LOCK_WAIT_MS;
  if (o.steps) spec.plannedSteps = [...o.steps];
  return spec;
}
