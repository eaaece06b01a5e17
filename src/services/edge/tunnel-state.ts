import { readBanner, tcpBanner } from '../../adapters/ssh/banner.js';
import type { EdgeDeviceRow, EdgeRelayRow } from '../../adapters/store/schema.js';
import { InfraktError, toInfraktError } from '../../core/errors.js';
import type { EdgeInfo, TunnelState } from '../../core/schemas/views/edge.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import { openRelay } from './meeting-points.js';

/** How long a forwarded port may take to show an sshd banner before the tunnel counts as down. */
const BANNER_TIMEOUT_MS = 3_000;

type DeviceWithRelay = EdgeDeviceRow & { relay_name: string | null };

async function devicesOf(ctx: Ctx, serverIds: readonly number[]): Promise<DeviceWithRelay[]> {
  if (serverIds.length === 0) return [];
  return ctx.store.db
    .selectFrom('edge_devices')
    .leftJoin('edge_relays', 'edge_relays.id', 'edge_devices.relay_id')
    .selectAll('edge_devices')
    .select('edge_relays.name as relay_name')
    .where('edge_devices.server_id', 'in', [...serverIds])
    .execute();
}

interface Probe {
  readonly tunnel: TunnelState;
  readonly error: string | null;
}

/**
 * Whether each device's sshd answers through its forward right now: a TCP connection to the loopback port at the
 * control host, or a channel to it through one connection per relay. Only a banner counts (sshd keeps a listener
 * of a half-dead session that accepts and then closes).
 */
async function probe(ctx: Ctx, devices: readonly DeviceWithRelay[]): Promise<Map<number, Probe>> {
  const out = new Map<number, Probe>();
  const byRelay = new Map<number, DeviceWithRelay[]>();
  await Promise.all(
    devices.map(async (d) => {
      if (d.relay_id === null) {
        const banner = await tcpBanner('127.0.0.1', d.tunnel_port, BANNER_TIMEOUT_MS);
        out.set(d.server_id, { tunnel: banner ? 'connected' : 'waiting', error: null });
      } else byRelay.set(d.relay_id, [...(byRelay.get(d.relay_id) ?? []), d]);
    }),
  );
  for (const [relayId, list] of byRelay) {
    const relay = (await ctx.store.db
      .selectFrom('edge_relays')
      .selectAll()
      .where('id', '=', relayId)
      .executeTakeFirstOrThrow()) as EdgeRelayRow;
    let ex: Awaited<ReturnType<typeof openRelay>>;
    try {
      ex = await openRelay(relay);
    } catch (e) {
      const error = `relay ${relay.name}: ${toInfraktError(e).message}`;
      for (const d of list) out.set(d.server_id, { tunnel: 'unknown', error });
      continue;
    }
    try {
      await Promise.all(
        list.map(async (d) => {
          const banner = await ex
            .connectTcp(d.tunnel_port, '127.0.0.1')
            .then((sock) => readBanner(sock, BANNER_TIMEOUT_MS))
            .catch(() => null);
          out.set(d.server_id, { tunnel: banner ? 'connected' : 'waiting', error: null });
        }),
      );
    } finally {
      await ex.close();
    }
  }
  return out;
}

/** Live tunnel state of the edge servers among `serverIds` (others are absent), recording when each was seen. */
export async function edgeInfos(ctx: Ctx, serverIds: readonly number[]): Promise<Map<number, EdgeInfo>> {
  const devices = await devicesOf(ctx, serverIds);
  const probes = await probe(ctx, devices);
  const now = nowIso(ctx);
  const seen = devices.filter((d) => probes.get(d.server_id)?.tunnel === 'connected').map((d) => d.server_id);
  if (seen.length > 0) {
    await ctx.store.db.updateTable('edge_devices').set({ last_seen_at: now }).where('server_id', 'in', seen).execute();
  }
  const infos = new Map<number, EdgeInfo>();
  for (const d of devices) {
    const p = probes.get(d.server_id) ?? { tunnel: 'unknown' as const, error: null };
    infos.set(d.server_id, {
      relay: d.relay_name,
      tunnelPort: d.tunnel_port,
      deviceSshPort: d.device_ssh_port,
      tunnel: p.tunnel,
      tunnelError: p.error,
      lastSeenAt: p.tunnel === 'connected' ? now : d.last_seen_at,
    });
  }
  return infos;
}

/** The error for an operation on an edge server whose device has not dialled in. */
export function tunnelDown(name: string, info: EdgeInfo): InfraktError {
  const where = info.relay ? `relay ${info.relay}` : 'this control host';
  const seen = info.lastSeenAt ? `last seen ${info.lastSeenAt}` : 'never seen yet';
  if (info.tunnel === 'unknown') {
    return new InfraktError('SSH_UNREACHABLE', `edge server '${name}': ${info.tunnelError ?? 'tunnel state unknown'}`, {
      hint: `check that infrakt can reach ${where}: infrakt edge relay list`,
    });
  }
  return new InfraktError(
    'SSH_UNREACHABLE',
    `edge server '${name}' is waiting: its tunnel to ${where} is not up (${seen})`,
    {
      hint: `the device dials out by itself once it is online; on the device: systemctl status infrakt-edge-tunnel`,
      details: { edge: 'waiting', lastSeenAt: info.lastSeenAt },
    },
  );
}
