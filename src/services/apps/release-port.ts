import type { ServerRow } from '../../adapters/store/schema.js';
import { parsePortsInUse, portsInUse } from '../../core/commands/ports.js';
import { InfraktError } from '../../core/errors.js';
import type { Executor } from '../../core/executor.js';
import { pickFreePort, RELEASE_PORT_RANGE } from '../../core/plans/host-ports.js';
import type { Ctx } from '../shared/context.js';

/**
 * A free loopback port for a new release on `server`: not recorded for any release, route or database of the
 * server in the store, and not in use there now (one round trip: `ss` and `docker ps` together).
 */
export async function chooseReleasePort(
  ctx: Ctx,
  ex: Executor,
  server: ServerRow,
  exclude: readonly number[] = [],
): Promise<number> {
  return choosePortFrom(ctx, server, (await ex.run(portsInUse())).stdout, exclude);
}

/** The same choice from the output of `portsInUse()` already run (in the deploy's prepare batch). */
export async function choosePortFrom(
  ctx: Ctx,
  server: ServerRow,
  portsOutput: string,
  exclude: readonly number[] = [],
): Promise<number> {
  const [recorded, routes, dbs] = await Promise.all([
    ctx.store.db
      .selectFrom('deployments')
      .innerJoin('apps', 'apps.id', 'deployments.app_id')
      .select('deployments.host_port')
      .where('apps.server_id', '=', server.id)
      .where('deployments.host_port', 'is not', null)
      .execute(),
    ctx.store.db.selectFrom('proxy_routes').select('upstream_port').where('server_id', '=', server.id).execute(),
    ctx.store.db
      .selectFrom('apps')
      .select('port')
      .where('server_id', '=', server.id)
      .where('app_type', 'like', 'db:%')
      .execute(),
  ]);
  const used = parsePortsInUse(portsOutput);
  for (const p of exclude) used.add(p);
  for (const d of recorded) if (d.host_port !== null) used.add(d.host_port);
  for (const x of routes) used.add(x.upstream_port);
  for (const d of dbs) used.add(d.port);
  const port = pickFreePort(used, Math.random(), RELEASE_PORT_RANGE);
  if (port === null) throw new InfraktError('STATE', `no free loopback port for a release on ${server.name}`);
  return port;
}
