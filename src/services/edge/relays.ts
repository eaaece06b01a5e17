import { checkKeyPath } from '../../adapters/local/key-file.js';
import type { EdgeRelayRow } from '../../adapters/store/schema.js';
import { exec } from '../../core/cmd/index.js';
import { renderTunnelAuthorizedKeys } from '../../core/edge/tunnel-keys.js';
import { conflict, InfraktError } from '../../core/errors.js';
import { runChecked } from '../../core/executor.js';
import { keysFileSchema, type RelayAddInput, relayAddSchema } from '../../core/schemas/edge.js';
import { parseInput } from '../../core/schemas/parse.js';
import type { RelayView } from '../../core/schemas/views/edge.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import { relayRow, relaySshd, sshdSetupView, writeRelayKeysFile } from './meeting-points.js';

async function deviceCount(ctx: Ctx, relayId: number): Promise<number> {
  const r = await ctx.store.db
    .selectFrom('edge_devices')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('relay_id', '=', relayId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function toView(ctx: Ctx, r: EdgeRelayRow): Promise<RelayView> {
  return {
    name: r.name,
    host: r.host,
    port: r.port,
    user: r.user,
    keyPath: r.key_path,
    hostKeyFingerprint: r.host_key_fingerprint,
    ports: { min: r.port_min, max: r.port_max },
    devices: await deviceCount(ctx, r.id),
    sshd: sshdSetupView(relaySshd(r), `relay ${r.name} (${r.host})`),
    createdAt: r.created_at,
  };
}

/**
 * `edge relay add`: an SSH server the user owns becomes a meeting point. infrakt logs in once (pinning the relay's
 * host key on first use, or only `--fingerprint`), finds its login's home for the default keys file, and creates
 * that dedicated authorized_keys there (empty). Nothing is recorded when any of that fails.
 */
export async function addRelay(ctx: Ctx, input: RelayAddInput): Promise<RelayView> {
  const data = parseInput(relayAddSchema, input, 'relay');
  const keyPath = data.keyPath ? checkKeyPath(data.keyPath) : null;
  const exists = await ctx.store.db
    .selectFrom('edge_relays')
    .select('id')
    .where('name', '=', data.name)
    .executeTakeFirst();
  if (exists) throw conflict(`a relay named '${data.name}' already exists`, 'choose another name');
  const { connectSsh } = await import('../../adapters/connect.js');
  const target = {
    name: data.name,
    host: data.host,
    port: data.port,
    user: data.user,
    key_path: keyPath,
    host_key: null,
    host_key_fingerprint: null,
  };
  const ex = await connectSsh(target, { hostKeyPolicy: data.fingerprint ? { fingerprint: data.fingerprint } : 'any' });
  let keysFile: string;
  try {
    const home = await runChecked(ex, exec('sh', '-c', 'printf %s "$HOME"'), { what: 'reading the home directory' });
    keysFile = data.keysFile ?? `${home.stdout.trim()}/.infrakt-edge/authorized_keys`;
    const ok = keysFileSchema.safeParse(keysFile);
    if (!ok.success) {
      throw new InfraktError('VALIDATION', `the relay's keys file path ${keysFile} is not usable by sshd`, {
        hint: 'name another one with --keys-file /absolute/path',
      });
    }
    await writeRelayKeysFile(ex, keysFile, renderTunnelAuthorizedKeys([]));
  } finally {
    await ex.close();
  }
  const now = nowIso(ctx);
  const row = await ctx.store.db
    .insertInto('edge_relays')
    .values({
      name: data.name,
      host: data.host,
      port: data.port,
      user: data.user,
      key_path: keyPath,
      host_key: ex.hostKey.line,
      host_key_fingerprint: ex.hostKey.fingerprint,
      tunnel_user: data.tunnelUser,
      keys_file: keysFile,
      port_min: data.ports.min,
      port_max: data.ports.max,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await audit(ctx, 'edge.relay.add', data.name, { host: data.host, fingerprint: ex.hostKey.fingerprint });
  return toView(ctx, row);
}

export async function listRelays(ctx: Ctx): Promise<RelayView[]> {
  const rows = await ctx.store.db.selectFrom('edge_relays').selectAll().orderBy('name').execute();
  return Promise.all(rows.map((r) => toView(ctx, r)));
}

export async function showRelay(ctx: Ctx, name: string): Promise<RelayView> {
  return toView(ctx, await relayRow(ctx, name));
}

/** `edge relay remove`: only a relay no device meets at (remove those servers first: that revokes their keys). */
export async function removeRelay(ctx: Ctx, name: string): Promise<void> {
  const row = await relayRow(ctx, name);
  const n = await deviceCount(ctx, row.id);
  if (n > 0) {
    throw conflict(
      `relay '${name}' still serves ${n} edge server(s)`,
      'remove them first: infrakt server remove <name>',
    );
  }
  await ctx.store.db.deleteFrom('edge_relays').where('id', '=', row.id).execute();
  await audit(ctx, 'edge.relay.remove', name, {});
}
