import { InfraktError } from '../../core/errors.js';
import { hostSchema, portSchema, remoteRootSchema, sshUserSchema } from '../../core/schemas/common.js';
import { parseInput } from '../../core/schemas/parse.js';
import { type ProxySettings, proxySettingsSchema } from '../../core/schemas/server.js';
import { countApps, getServerRow, updateServer } from '../servers/servers.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';

export interface ServerFieldPatch {
  host?: string;
  user?: string;
  port?: number;
  keyPath?: string | null;
  root?: string;
  labels?: Record<string, string>;
  proxy?: ProxySettings;
  pullPolicy?: 'missing' | 'never';
}

/** Connection fields and settings of a registered server (validated; root only while it has no apps). */
export async function updateServerFields(ctx: Ctx, name: string, patch: ServerFieldPatch): Promise<void> {
  const row = await getServerRow(ctx, name);
  // Each given field on its own: a schema with defaults would fill in (and overwrite) the ones not given.
  const conn = {
    host: patch.host === undefined ? undefined : parseInput(hostSchema, patch.host, 'host'),
    user: patch.user === undefined ? undefined : parseInput(sshUserSchema, patch.user, 'user'),
    port: patch.port === undefined ? undefined : parseInput(portSchema, patch.port, 'port'),
    root: patch.root === undefined ? undefined : parseInput(remoteRootSchema, patch.root, 'root'),
  };
  if (conn.root !== undefined && conn.root !== row.root_dir && (await countApps(ctx, row.id)) > 0) {
    throw new InfraktError('UNSUPPORTED', `server '${name}' has apps under ${row.root_dir}: its root cannot move`, {
      hint: 'keep root as it is, or destroy its apps and databases first',
    });
  }
  const settings = JSON.parse(row.settings_json || '{}') as Record<string, unknown>;
  if (patch.labels) settings.labels = patch.labels;
  if (patch.proxy) {
    const proxy = parseInput(proxySettingsSchema, patch.proxy, 'proxy settings');
    if (proxy.httpPort === proxy.httpsPort)
      throw new InfraktError('VALIDATION', 'the HTTP and HTTPS ports must differ');
    settings.proxy = proxy;
  }
  if (patch.pullPolicy) settings.pull = patch.pullPolicy;
  await updateServer(ctx, row.id, {
    ...(conn.host !== undefined ? { host: conn.host } : {}),
    ...(conn.user !== undefined ? { user: conn.user } : {}),
    ...(conn.port !== undefined ? { port: conn.port } : {}),
    ...(patch.keyPath !== undefined ? { key_path: patch.keyPath } : {}),
    ...(conn.root !== undefined ? { root_dir: conn.root } : {}),
    settings_json: JSON.stringify(settings),
  });
  await audit(ctx, 'server.update', name, { fields: Object.keys(patch) });
}
