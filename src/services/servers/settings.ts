import type { ServerRow } from '../../adapters/store/schema.js';
import { InfraktError } from '../../core/errors.js';
import { parseInput } from '../../core/schemas/parse.js';
import { type ProxySettings, proxySettingsSchema } from '../../core/schemas/server.js';
import type { ProxySettingsView } from '../../core/schemas/views/proxy.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { getServerRow, serverSettings, updateServer } from './servers.js';

// Per-server settings changed by `server set`: image pull policy and proxy (TLS mode, ports, admin address).

export const PULL_POLICIES = ['missing', 'never'] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];

/** Whether a deploy may pull an image missing on the server (`never`: air-gapped servers and tests). */
export function pullPolicy(server: Pick<ServerRow, 'settings_json'>): PullPolicy {
  const raw = JSON.parse(server.settings_json || '{}') as { pull?: unknown };
  return raw.pull === 'never' ? 'never' : 'missing';
}

export async function setPullPolicy(ctx: Ctx, serverName: string, policy: string): Promise<PullPolicy> {
  if (!(PULL_POLICIES as readonly string[]).includes(policy)) {
    throw new InfraktError('VALIDATION', `invalid pull policy '${policy}'`, {
      hint: `use one of: ${PULL_POLICIES.join(', ')}`,
    });
  }
  const server = await getServerRow(ctx, serverName);
  const raw = JSON.parse(server.settings_json || '{}') as Record<string, unknown>;
  await updateServer(ctx, server.id, { settings_json: JSON.stringify({ ...raw, pull: policy }) });
  await audit(ctx, 'server.pull-policy', server.name, { policy });
  return policy as PullPolicy;
}

/** Changes a server's proxy settings (TLS mode, ports, admin address); applied by the next proxy reload/deploy. */
export async function setProxySettings(
  ctx: Ctx,
  serverName: string,
  patch: Partial<ProxySettings>,
): Promise<ProxySettingsView> {
  const server = await getServerRow(ctx, serverName);
  const current = serverSettings(server);
  const proxy = parseInput(proxySettingsSchema, { ...current.proxy, ...patch }, 'proxy settings');
  if (proxy.httpPort === proxy.httpsPort) throw new InfraktError('VALIDATION', 'the HTTP and HTTPS ports must differ');
  const raw = JSON.parse(server.settings_json || '{}') as Record<string, unknown>;
  await updateServer(ctx, server.id, { settings_json: JSON.stringify({ ...raw, proxy }) });
  await audit(ctx, 'server.proxy', server.name, { ...proxy });
  return proxy;
}
