import {
  controlKeysFile,
  currentUser,
  readHostKeyFiles,
  writeKeysFile,
} from '../../adapters/edge/meeting-point-files.js';
import { hostKeyFromLine } from '../../adapters/ssh/host-key.js';
import type { EdgeControlRow } from '../../adapters/store/schema.js';
import { renderTunnelAuthorizedKeys } from '../../core/edge/tunnel-keys.js';
import { validation } from '../../core/errors.js';
import { type EdgeSetupInput, edgeSetupSchema, keysFileSchema } from '../../core/schemas/edge.js';
import { parseInput } from '../../core/schemas/parse.js';
import type { EdgeControlView } from '../../core/schemas/views/edge.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import { controlRow, controlSshd, grantsAt, requireControl, sshdSetupView } from './meeting-points.js';

function hostKeyViews(lines: string) {
  return lines
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      const k = hostKeyFromLine(l);
      return k ? [{ type: k.type, fingerprint: k.fingerprint }] : [];
    });
}

async function view(ctx: Ctx, row: EdgeControlRow): Promise<EdgeControlView> {
  const devices = (await grantsAt(ctx, null)).length;
  return {
    endpoint: { host: row.endpoint_host, port: row.endpoint_port },
    hostKeys: hostKeyViews(row.host_keys),
    ports: { min: row.port_min, max: row.port_max },
    devices,
    sshd: sshdSetupView(controlSshd(ctx, row), 'this control host'),
  };
}

/**
 * `edge setup`: records how devices reach this control host (the endpoint they dial and the sshd host keys they
 * pin), creates infrakt's dedicated authorized_keys, and returns the sshd set-up for the user to apply. Run
 * again to change a setting; devices already bootstrapped keep the endpoint they were given.
 */
export async function setupEdgeControl(ctx: Ctx, input: EdgeSetupInput): Promise<EdgeControlView> {
  const data = parseInput(edgeSetupSchema, input, 'edge setup');
  const keysFile = controlKeysFile(ctx.paths.home);
  const path = keysFileSchema.safeParse(keysFile);
  if (!path.success) {
    throw validation(
      `sshd cannot read infrakt's keys file at ${keysFile}: ${path.error.issues[0]?.message ?? 'bad path'}`,
      'set INFRAKT_HOME to a path without spaces or special characters',
    );
  }
  const hostKeys = readHostKeyFiles(data.hostKeyFiles).join('\n');
  const used = await ctx.store.db
    .selectFrom('edge_devices')
    .select('tunnel_port')
    .where('relay_id', 'is', null)
    .execute();
  const outside = used.filter((d) => d.tunnel_port < data.ports.min || d.tunnel_port > data.ports.max);
  if (outside.length > 0) {
    throw validation(
      `--ports ${data.ports.min}-${data.ports.max} leaves out port(s) devices already use: ${outside.map((d) => d.tunnel_port).join(', ')}`,
      'choose a range that includes them',
    );
  }
  const now = nowIso(ctx);
  const values = {
    endpoint_host: data.endpoint.host,
    endpoint_port: data.endpoint.port,
    tunnel_user: data.tunnelUser,
    keys_user: currentUser(),
    host_keys: hostKeys,
    port_min: data.ports.min,
    port_max: data.ports.max,
    updated_at: now,
  };
  await ctx.store.db
    .insertInto('edge_control')
    .values({ id: 1, ...values, created_at: now })
    .onConflict((oc) => oc.column('id').doUpdateSet(values))
    .execute();
  writeKeysFile(keysFile, renderTunnelAuthorizedKeys(await grantsAt(ctx, null)));
  await audit(ctx, 'edge.setup', 'control', { endpoint: `${data.endpoint.host}:${data.endpoint.port}` });
  return view(ctx, await requireControl(ctx));
}

/** `edge setup` without options: the recorded settings and the sshd set-up again (null when never set up). */
export async function showEdgeControl(ctx: Ctx): Promise<EdgeControlView | null> {
  const row = await controlRow(ctx);
  return row ? view(ctx, row) : null;
}
