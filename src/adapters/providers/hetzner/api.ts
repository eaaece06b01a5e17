import { InfraktError } from '../../../core/errors.js';
import type { HetznerClient } from './client.js';

/** The parts of the Hetzner Cloud API's objects infrakt reads (documented shapes; other fields ignored). */
export interface HcloudAction {
  readonly id: number;
  readonly command: string;
  readonly status: 'running' | 'success' | 'error';
  readonly progress: number;
  readonly error: { readonly code: string; readonly message: string } | null;
}

export interface HcloudServer {
  readonly id: number;
  readonly name: string;
  readonly status: string;
  readonly public_net: {
    readonly ipv4: { readonly ip: string } | null;
    readonly ipv6: { readonly ip: string } | null;
  };
  readonly server_type: { readonly name: string };
  readonly image: { readonly name: string | null } | null;
  readonly datacenter?: { readonly location?: { readonly name: string } };
  readonly labels: Readonly<Record<string, string>>;
}

export interface HcloudSshKey {
  readonly id: number;
  readonly name: string;
  readonly fingerprint: string;
  readonly public_key: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface CreateServerRequest {
  readonly name: string;
  readonly server_type: string;
  readonly location: string;
  readonly image: string;
  readonly ssh_keys: readonly number[];
  readonly user_data: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly start_after_create: boolean;
}

export interface CreateServerResponse {
  readonly server: HcloudServer;
  readonly action: HcloudAction;
  readonly next_actions: readonly HcloudAction[];
}

/** `k=v,k2=v2`: the API's label selector syntax (equality only). */
export const labelSelector = (labels: Readonly<Record<string, string>>): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

export function hetznerApi(c: HetznerClient) {
  return {
    listServers: (query: { name?: string; labels?: Record<string, string> } = {}) =>
      c.list<HcloudServer>('/servers', 'servers', {
        ...(query.name ? { name: query.name } : {}),
        ...(query.labels ? { label_selector: labelSelector(query.labels) } : {}),
      }),
    getServer: async (id: number) => (await c.request<{ server: HcloudServer }>('GET', `/servers/${id}`)).server,
    createServer: (req: CreateServerRequest) => c.request<CreateServerResponse>('POST', '/servers', req),
    deleteServer: async (id: number) => (await c.request<{ action: HcloudAction }>('DELETE', `/servers/${id}`)).action,
    getAction: async (id: number) => (await c.request<{ action: HcloudAction }>('GET', `/actions/${id}`)).action,
    listSshKeys: (query: { fingerprint?: string; name?: string } = {}) =>
      c.list<HcloudSshKey>('/ssh_keys', 'ssh_keys', query as Record<string, string>),
    createSshKey: async (req: { name: string; public_key: string; labels: Record<string, string> }) =>
      (await c.request<{ ssh_key: HcloudSshKey }>('POST', '/ssh_keys', req)).ssh_key,
  };
}

export type HetznerApi = ReturnType<typeof hetznerApi>;

/**
 * Polls an action until it succeeds (resolves) or fails (rejects with the action's own error). Polls every
 * `intervalMs` (the hcloud CLI uses 500 ms), up to `timeoutMs`.
 */
export async function waitForAction(
  api: HetznerApi,
  action: HcloudAction,
  opts: { intervalMs?: number; timeoutMs?: number; signal?: AbortSignal; onProgress?: (a: HcloudAction) => void } = {},
): Promise<HcloudAction> {
  const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
  let a = action;
  for (;;) {
    opts.onProgress?.(a);
    if (a.status === 'success') return a;
    if (a.status === 'error') {
      throw new InfraktError(
        'COMMAND_FAILED',
        `Hetzner action ${a.command} #${a.id} failed: ${a.error?.message ?? 'unknown error'} (${a.error?.code ?? '?'})`,
      );
    }
    if (Date.now() > deadline)
      throw new InfraktError('TIMEOUT', `Hetzner action ${a.command} #${a.id} did not finish in time (${a.progress}%)`);
    if (opts.signal?.aborted) throw new InfraktError('CANCELLED', 'cancelled');
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
    a = await api.getAction(a.id);
  }
}
