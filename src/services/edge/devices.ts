import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { generateDeviceKeys, publicKeyOf } from '../../adapters/edge/device-keys.js';
import { loopbackPortFree } from '../../adapters/edge/meeting-point-files.js';
import { endTunnelSession } from '../../adapters/edge/tunnel-session.js';
import { checkKeyPath } from '../../adapters/local/key-file.js';
import { DEFAULT_KEYS } from '../../adapters/ssh/auth.js';
import type { EdgeDeviceRow, ServerRow } from '../../adapters/store/schema.js';
import { renderEdgeBootstrap } from '../../core/commands/edge-bootstrap.js';
import { tunnelPortCandidates } from '../../core/edge/ports.js';
import { renderTunnelAuthorizedKeys } from '../../core/edge/tunnel-keys.js';
import { conflict, InfraktError } from '../../core/errors.js';
import { type EdgeServerAddInput, edgeServerAddSchema } from '../../core/schemas/edge.js';
import { parseInput } from '../../core/schemas/parse.js';
import type { ServerView } from '../../core/schemas/views/servers.js';
import type { Secret } from '../../core/secret.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import {
  grantsAt,
  type MeetingPoint,
  openRelay,
  relayRow,
  requireControl,
  syncMeetingPoint,
  writeRelayKeysFile,
} from './meeting-points.js';
import { endRelayTunnelSession } from './relay-session.js';

export interface EdgeServerAdded {
  readonly server: ServerView;
  /** The script to run once on the device as root (it holds the device's private keys). */
  readonly bootstrap: Secret;
  readonly hostKeyFingerprint: string;
  readonly tunnelPort: number;
  /** Whether infrakt's own public key is in the script (else the user authorises a key on the device). */
  readonly loginKeyIncluded: boolean;
}

/** infrakt's login public key to authorise on the device: `--key`'s, else the first default ~/.ssh key with a .pub. */
function loginPublicKey(keyPath: string | undefined): string | null {
  if (keyPath) return publicKeyOf(keyPath, process.env.INFRAKT_SSH_PASSPHRASE);
  for (const name of DEFAULT_KEYS) {
    const p = join(homedir(), '.ssh', name);
    if (existsSync(`${p}.pub`)) return publicKeyOf(p);
  }
  return null;
}

async function meetingPoint(ctx: Ctx, relay: string | undefined): Promise<MeetingPoint> {
  return relay
    ? { kind: 'relay', row: await relayRow(ctx, relay) }
    : { kind: 'control', row: await requireControl(ctx) };
}

/** A free tunnel port at the meeting point: not used by another device, and (at the control host) not bound now. */
async function allocatePort(ctx: Ctx, mp: MeetingPoint): Promise<number> {
  const q = ctx.store.db.selectFrom('edge_devices').select('tunnel_port');
  const rows = await (mp.kind === 'relay'
    ? q.where('relay_id', '=', mp.row.id)
    : q.where('relay_id', 'is', null)
  ).execute();
  const taken = new Set(rows.map((r) => r.tunnel_port));
  const range = { min: mp.row.port_min, max: mp.row.port_max };
  for (const port of tunnelPortCandidates(range, taken, () => randomInt(1 << 30) / (1 << 30))) {
    if (mp.kind === 'relay' || (await loopbackPortFree(port))) return port;
  }
  throw new InfraktError('CONFLICT', `no free tunnel port left in ${range.min}-${range.max}`, {
    hint: 'widen the range: infrakt edge setup --ports A-B (or edge relay add … --ports for a relay)',
  });
}

/**
 * `server add --edge`: a server reached through its own reverse tunnel. Generates the device's tunnel key and
 * host key (pinned here before the device ever dials in), allocates its port, authorises the tunnel key at the
 * meeting point for that one reverse forward, and renders the bootstrap script. Fails without a trace: the rows
 * are removed again when the meeting point's keys file cannot be written. The CLI and `POST /api/edge/servers`
 * both call this.
 */
export async function addEdgeServer(
  ctx: Ctx,
  input: EdgeServerAddInput,
  policy: { readonly keysIn?: string } = {},
): Promise<EdgeServerAdded> {
  const data = parseInput(edgeServerAddSchema, input, 'edge server');
  // Over the API (`keysIn` = $INFRAKT_HOME/keys) only a key file in that directory, as for `POST /api/servers`.
  const keyPath = data.keyPath
    ? checkKeyPath(data.keyPath, policy.keysIn ? { confineTo: policy.keysIn } : {})
    : undefined;
  const exists = await ctx.store.db.selectFrom('servers').select('id').where('name', '=', data.name).executeTakeFirst();
  if (exists) throw conflict(`a server named '${data.name}' already exists`, 'choose another name');
  const mp = await meetingPoint(ctx, data.relay);
  const infraktKey = loginPublicKey(keyPath);
  const keys = generateDeviceKeys(data.name);
  const port = await allocatePort(ctx, mp);
  const now = nowIso(ctx);
  const server = await ctx.store.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('servers')
      .values({
        name: data.name,
        // The device is reached at the forwarded loopback port (on the relay: through a jump, see edge-route.ts).
        host: '127.0.0.1',
        port,
        user: data.user,
        key_path: keyPath ?? null,
        provider: data.provider ?? null,
        root_dir: data.root,
        status: 'unknown',
        host_key: keys.hostPublicKey,
        host_key_fingerprint: keys.hostFingerprint,
        settings_json: JSON.stringify({}),
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .insertInto('edge_devices')
      .values({
        server_id: row.id,
        relay_id: mp.kind === 'relay' ? mp.row.id : null,
        tunnel_port: port,
        device_ssh_port: data.devicePort,
        tunnel_key: keys.tunnelPublicKey,
        last_seen_at: null,
        created_at: now,
      })
      .execute();
    return row;
  });
  try {
    await syncMeetingPoint(ctx, mp);
  } catch (e) {
    await ctx.store.db.deleteFrom('servers').where('id', '=', server.id).execute();
    throw e;
  }
  const endpoint =
    mp.kind === 'control'
      ? { host: mp.row.endpoint_host, port: mp.row.endpoint_port }
      : { host: mp.row.host, port: mp.row.port };
  const bootstrap = renderEdgeBootstrap({
    device: data.name,
    generatedAt: now,
    endpoint,
    via: mp.kind === 'control' ? 'the control host' : `relay ${mp.row.name}`,
    endpointHostKeys: (mp.kind === 'control' ? mp.row.host_keys : mp.row.host_key).split('\n').filter(Boolean),
    tunnelUser: mp.row.tunnel_user,
    tunnelPort: port,
    deviceSshPort: data.devicePort,
    loginUser: data.user,
    infraktKey,
    tunnelPrivateKey: keys.tunnelPrivateKey,
    hostPrivateKey: keys.hostPrivateKey,
    hostPublicKey: keys.hostPublicKey,
    hostKeyFingerprint: keys.hostFingerprint,
  });
  await audit(ctx, 'server.add', data.name, {
    edge: true,
    via: mp.kind === 'control' ? 'control' : mp.row.name,
    tunnelPort: port,
  });
  const { getServer } = await import('../servers/servers.js');
  return {
    server: await getServer(ctx, data.name),
    bootstrap,
    hostKeyFingerprint: keys.hostFingerprint,
    tunnelPort: port,
    loginKeyIncluded: infraktKey !== null,
  };
}

export async function edgeDeviceOf(ctx: Ctx, serverId: number): Promise<EdgeDeviceRow | null> {
  return (
    (await ctx.store.db.selectFrom('edge_devices').selectAll().where('server_id', '=', serverId).executeTakeFirst()) ??
    null
  );
}

export interface EdgeRevoked {
  /** `control host` or `relay <name>`. */
  readonly at: string;
  /** Whether a tunnel session that was still open was ended too (null: nothing was open). */
  readonly sessionEnded: boolean | null;
}

/**
 * Before an edge server is forgotten: its tunnel key is taken out of the meeting point's authorized_keys (the
 * device can no longer log in there), and a session still open there is ended (at the control host through
 * /proc, at a relay over infrakt's connection to it). Throws, changing
 * nothing, when the meeting point cannot be written. Null for a server that is not an edge server.
 */
export async function revokeEdgeKey(ctx: Ctx, row: ServerRow): Promise<EdgeRevoked | null> {
  const device = await edgeDeviceOf(ctx, row.id);
  if (!device) return null;
  if (device.relay_id === null) {
    await syncMeetingPoint(ctx, { kind: 'control', row: await requireControl(ctx) }, row.id);
    const ended = endTunnelSession(device.tunnel_port);
    return { at: 'control host', sessionEnded: ended === 'none' ? null : ended === 'ended' };
  }
  const relay = await ctx.store.db
    .selectFrom('edge_relays')
    .selectAll()
    .where('id', '=', device.relay_id)
    .executeTakeFirstOrThrow();
  // One connection to the relay: the key file rewritten first (a failure changes nothing), then the session ended.
  const content = renderTunnelAuthorizedKeys(await grantsAt(ctx, relay.id, row.id));
  const ex = await openRelay(relay);
  try {
    await writeRelayKeysFile(ex, relay.keys_file, content);
    const ended = await endRelayTunnelSession(ex, device.tunnel_port);
    return { at: `relay ${relay.name}`, sessionEnded: ended === 'none' ? null : ended === 'ended' };
  } finally {
    await ex.close();
  }
}

/** The relay an edge server meets infrakt at, or null (not an edge server, or it dials the control host). */
export async function relayOfServer(ctx: Ctx, serverId: number): Promise<string | null> {
  const r = await ctx.store.db
    .selectFrom('edge_devices')
    .innerJoin('edge_relays', 'edge_relays.id', 'edge_devices.relay_id')
    .select('edge_relays.name')
    .where('edge_devices.server_id', '=', serverId)
    .executeTakeFirst();
  return r?.name ?? null;
}
