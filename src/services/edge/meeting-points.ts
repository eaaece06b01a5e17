import type { ServerTarget } from '../../adapters/connect.js';
import { controlKeysFile, writeKeysFile } from '../../adapters/edge/meeting-point-files.js';
import type { SshExecutor } from '../../adapters/ssh/ssh-executor.js';
import type { EdgeControlRow, EdgeRelayRow } from '../../adapters/store/schema.js';
import { exec } from '../../core/cmd/index.js';
import {
  type MeetingPointSshd,
  sshdMatchBlock,
  sshdSetupText,
  tunnelUserCommands,
} from '../../core/edge/sshd-setup.js';
import { renderTunnelAuthorizedKeys, type TunnelGrant } from '../../core/edge/tunnel-keys.js';
import { InfraktError, notFound } from '../../core/errors.js';
import { runChecked } from '../../core/executor.js';
import type { Ctx } from '../shared/context.js';

/** Where edge devices meet infrakt: the control host itself (`relay` null) or a relay. */
export type MeetingPoint =
  | { readonly kind: 'control'; readonly row: EdgeControlRow }
  | { readonly kind: 'relay'; readonly row: EdgeRelayRow };

export const describeMeetingPoint = (relay: string | null): string => (relay ? `relay ${relay}` : 'the control host');

export async function controlRow(ctx: Ctx): Promise<EdgeControlRow | null> {
  return (await ctx.store.db.selectFrom('edge_control').selectAll().where('id', '=', 1).executeTakeFirst()) ?? null;
}

export async function requireControl(ctx: Ctx): Promise<EdgeControlRow> {
  const row = await controlRow(ctx);
  if (row) return row;
  throw new InfraktError('STATE', 'this control host is not set up for edge devices yet', {
    hint: 'run: infrakt edge setup --endpoint <host or address the devices dial>[:port]  (or meet at a relay: --relay)',
  });
}

export async function relayRow(ctx: Ctx, name: string): Promise<EdgeRelayRow> {
  const row = await ctx.store.db.selectFrom('edge_relays').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) throw notFound('relay', name, 'list relays with: infrakt edge relay list');
  return row;
}

/** infrakt's own login on a relay, shaped for the SSH adapter (the relay's pinned key is verified). */
export function relayTarget(r: EdgeRelayRow): ServerTarget {
  return {
    name: r.name,
    host: r.host,
    port: r.port,
    user: r.user,
    key_path: r.key_path,
    host_key: r.host_key,
    host_key_fingerprint: r.host_key_fingerprint,
  };
}

/** One connection to a relay, its pinned host key verified (ssh2 is loaded only when a relay is used). */
export async function openRelay(r: EdgeRelayRow, opts: { signal?: AbortSignal } = {}): Promise<SshExecutor> {
  const { connectSsh } = await import('../../adapters/connect.js');
  return connectSsh(relayTarget(r), opts.signal ? { signal: opts.signal } : {});
}

export function controlSshd(ctx: Ctx, row: Pick<EdgeControlRow, 'tunnel_user' | 'keys_user'>): MeetingPointSshd {
  return { tunnelUser: row.tunnel_user, keysFile: controlKeysFile(ctx.paths.home), keysUser: row.keys_user };
}

export function relaySshd(row: Pick<EdgeRelayRow, 'tunnel_user' | 'keys_file' | 'user'>): MeetingPointSshd {
  return { tunnelUser: row.tunnel_user, keysFile: row.keys_file, keysUser: row.user };
}

export function sshdSetupView(m: MeetingPointSshd, on: string) {
  return {
    tunnelUser: m.tunnelUser,
    keysFile: m.keysFile,
    keysUser: m.keysUser,
    userCommands: tunnelUserCommands(m.tunnelUser),
    sshdConfig: sshdMatchBlock(m),
    instructions: sshdSetupText(m, on),
  };
}

/** The devices authorised at a meeting point (optionally leaving one out: the one being removed). */
export async function grantsAt(ctx: Ctx, relayId: number | null, exceptServerId?: number): Promise<TunnelGrant[]> {
  let q = ctx.store.db
    .selectFrom('edge_devices')
    .innerJoin('servers', 'servers.id', 'edge_devices.server_id')
    .select(['servers.name', 'edge_devices.tunnel_port', 'edge_devices.tunnel_key', 'edge_devices.server_id']);
  q = relayId === null ? q.where('edge_devices.relay_id', 'is', null) : q.where('edge_devices.relay_id', '=', relayId);
  const rows = await q.execute();
  return rows
    .filter((r) => r.server_id !== exceptServerId)
    .map((r) => ({ device: r.name, port: r.tunnel_port, publicKey: r.tunnel_key }));
}

/**
 * Rewrites a meeting point's dedicated authorized_keys from state: locally for the control host, over SSH for
 * a relay (`mkdir -p`, then an atomic 0600 write). State is the source of truth: a failed write changes nothing.
 */
export async function syncMeetingPoint(ctx: Ctx, mp: MeetingPoint, exceptServerId?: number): Promise<void> {
  const content = renderTunnelAuthorizedKeys(
    await grantsAt(ctx, mp.kind === 'relay' ? mp.row.id : null, exceptServerId),
  );
  if (mp.kind === 'control') return writeKeysFile(controlKeysFile(ctx.paths.home), content);
  const ex = await openRelay(mp.row);
  try {
    await writeRelayKeysFile(ex, mp.row.keys_file, content);
  } finally {
    await ex.close();
  }
}

export async function writeRelayKeysFile(ex: SshExecutor, path: string, content: string): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf('/')) || '/';
  await runChecked(ex, exec('mkdir', '-p', '-m', '700', '--', dir), { what: `creating ${dir} on the relay` });
  await ex.put(path, content, { mode: 0o600 });
}
