import type { ConnectOptions } from '../../adapters/connect.js';
import type { Store } from '../../adapters/store/open.js';
import type { ServerRow } from '../../adapters/store/schema.js';
import type { Executor } from '../../core/executor.js';
import type { Connect } from '../shared/context.js';
import { relayTarget } from './meeting-points.js';

type BaseConnect = (server: ServerRow, opts?: ConnectOptions) => Promise<Executor>;

/**
 * Wraps the SSH connect of a face so an edge server that meets infrakt at a relay is reached through that relay
 * (ProxyJump-style, both host keys verified separately): every service keeps calling `ctx.connect(server)`
 * unchanged. A device meeting at the control host needs nothing: its row already points at the forwarded
 * loopback port.
 */
export function edgeAwareConnect(store: Store, base: BaseConnect): Connect {
  return async (server, opts) => {
    const relay = await store.db
      .selectFrom('edge_devices')
      .innerJoin('edge_relays', 'edge_relays.id', 'edge_devices.relay_id')
      .selectAll('edge_relays')
      .select('edge_devices.tunnel_port')
      .where('edge_devices.server_id', '=', server.id)
      .executeTakeFirst();
    if (!relay) return base(server, opts);
    return base(server, { ...opts, via: { relay: relayTarget(relay), port: relay.tunnel_port } });
  };
}
