import { X509Certificate } from 'node:crypto';
import type { ServerRow } from '../../adapters/store/schema.js';
import { InfraktError } from '../../core/errors.js';
import { parseInput } from '../../core/schemas/parse.js';
import { type ProxySettings, proxySettingsSchema } from '../../core/schemas/server.js';
import type { ProxySettingsView } from '../../core/schemas/views/proxy.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { type AcmeServerSettings, getServerRow, serverSettings, updateServer } from './servers.js';

// Per-server settings changed by `server set`: image pull policy, proxy (TLS mode, ports, admin address),
// certificates (ACME account and CA) and private git hosts. Every value is checked before any is saved.

export const PULL_POLICIES = ['missing', 'never'] as const;
export type PullPolicy = (typeof PULL_POLICIES)[number];

/** Whether a deploy may pull an image missing on the server (`never`: air-gapped servers and tests). */
export function pullPolicy(server: Pick<ServerRow, 'settings_json'>): PullPolicy {
  const raw = JSON.parse(server.settings_json || '{}') as { pull?: unknown };
  return raw.pull === 'never' ? 'never' : 'missing';
}

export interface AcmeSettingsInput {
  /** `null` removes it. */
  email?: string | null | undefined;
  /** An ACME directory URL (step-ca, an internal CA); `null` goes back to Let's Encrypt / ZeroSSL. */
  ca?: string | null | undefined;
  /** PEM of the root certificate the ACME server's TLS chains to; `null` removes it. */
  caRoot?: string | null | undefined;
}

export interface ServerSettingsPatch {
  proxy?: Partial<ProxySettings> | undefined;
  pull?: string | undefined;
  acme?: AcmeSettingsInput | undefined;
  /** `on` / `off`. */
  allowPrivateGit?: string | undefined;
}

export interface ServerSettingsResult {
  server: string;
  proxy: ProxySettingsView;
  pull: PullPolicy;
  acme: { email: string | null; ca: string | null; caRoot: boolean } | null;
  allowPrivateGit: boolean;
}

const ACME_EMAIL = /^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$/;
const ACME_URL = /^https:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?(\/[A-Za-z0-9._~/-]*)?$/;

function nextAcme(current: AcmeServerSettings | undefined, input: AcmeSettingsInput): AcmeServerSettings | undefined {
  const acme = { ...(current ?? {}) };
  if (input.email !== undefined) {
    if (input.email !== null && !ACME_EMAIL.test(input.email.trim()))
      throw new InfraktError('VALIDATION', `invalid --acme-email '${input.email}': must be an e-mail address`);
    acme.email = input.email?.trim() || undefined;
  }
  if (input.ca !== undefined) {
    const ca = input.ca?.trim();
    if (ca !== undefined && (!ACME_URL.test(ca) || Number(new URL(ca).port || 443) > 65535))
      throw new InfraktError('VALIDATION', `invalid --acme-ca '${input.ca}': must be an https:// ACME directory URL`, {
        hint: 'e.g. https://ca.internal:9000/acme/acme/directory (step-ca); none goes back to Let’s Encrypt',
      });
    acme.ca = ca || undefined;
  }
  if (input.caRoot !== undefined) {
    if (input.caRoot !== null) {
      try {
        if (!new X509Certificate(input.caRoot).ca) throw new Error('it is not a CA certificate');
      } catch (e) {
        throw new InfraktError('VALIDATION', `invalid --acme-ca-root: ${(e as Error).message}`, {
          hint: 'give the PEM file of the root certificate the ACME server’s TLS chains to',
        });
      }
    }
    acme.caRoot = input.caRoot ?? undefined;
  }
  if (acme.caRoot && !acme.ca)
    throw new InfraktError('VALIDATION', '--acme-ca-root is the root of a private ACME CA: give --acme-ca too');
  return Object.values(acme).some((v) => v !== undefined) ? acme : undefined;
}

/**
 * `server set`: validates every given setting, then saves them in one write (a bad value changes nothing).
 * Proxy and certificate settings apply with the next proxy reload or deploy.
 */
export async function setServerSettings(
  ctx: Ctx,
  serverName: string,
  patch: ServerSettingsPatch,
): Promise<ServerSettingsResult> {
  const server = await getServerRow(ctx, serverName);
  const current = serverSettings(server);
  const raw = JSON.parse(server.settings_json || '{}') as Record<string, unknown>;
  if (patch.pull !== undefined && !(PULL_POLICIES as readonly string[]).includes(patch.pull)) {
    throw new InfraktError('VALIDATION', `invalid pull policy '${patch.pull}'`, {
      hint: `use one of: ${PULL_POLICIES.join(', ')}`,
    });
  }
  if (patch.allowPrivateGit !== undefined && patch.allowPrivateGit !== 'on' && patch.allowPrivateGit !== 'off') {
    throw new InfraktError('VALIDATION', `invalid --allow-private-git '${patch.allowPrivateGit}'`, {
      hint: 'use on or off',
    });
  }
  const proxy = parseInput(proxySettingsSchema, { ...current.proxy, ...(patch.proxy ?? {}) }, 'proxy settings');
  if (proxy.httpPort === proxy.httpsPort) throw new InfraktError('VALIDATION', 'the HTTP and HTTPS ports must differ');
  const acme = patch.acme ? nextAcme(current.acme, patch.acme) : current.acme;
  const next = {
    ...raw,
    proxy,
    ...(patch.pull !== undefined ? { pull: patch.pull } : {}),
    acme,
    ...(patch.allowPrivateGit !== undefined ? { git: { privateHosts: patch.allowPrivateGit === 'on' } } : {}),
  };
  await updateServer(ctx, server.id, { settings_json: JSON.stringify(next) });
  const row = { settings_json: JSON.stringify(next) };
  const result: ServerSettingsResult = {
    server: server.name,
    proxy,
    pull: pullPolicy(row),
    acme: acme ? { email: acme.email ?? null, ca: acme.ca ?? null, caRoot: Boolean(acme.caRoot) } : null,
    allowPrivateGit: allowsPrivateGit(row),
  };
  await audit(ctx, 'server.set', server.name, { ...result, proxy: { ...proxy } });
  return result;
}

/** `server set --allow-private-git on`: git hosts on private networks (a self-hosted GitLab, tests) are fine. */
export function allowsPrivateGit(server: Pick<ServerRow, 'settings_json'>): boolean {
  return (serverSettings(server) as { git?: { privateHosts?: unknown } }).git?.privateHosts === true;
}

/** Changes a server's proxy settings (TLS mode, ports, admin address); applied by the next proxy reload/deploy. */
export async function setProxySettings(
  ctx: Ctx,
  serverName: string,
  patch: Partial<ProxySettings>,
): Promise<ProxySettingsView> {
  return (await setServerSettings(ctx, serverName, { proxy: patch })).proxy;
}
