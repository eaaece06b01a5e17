import { HetznerClient, type HetznerClientOptions } from '../../adapters/providers/hetzner/client.js';
import { InfraktError, notFound } from '../../core/errors.js';
import { nameSchema } from '../../core/schemas/common.js';
import { parseInput } from '../../core/schemas/parse.js';
import { Secret } from '../../core/secret.js';
import { seal, unseal } from '../secrets/seal.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';

export const PROVIDER_TYPES = ['hetzner'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

export interface ProviderView {
  name: string;
  type: ProviderType;
  endpoint: string;
  servers: number;
  createdAt: string;
  updatedAt: string;
}

interface ProviderSettings {
  endpoint?: string;
}

/** A loopback or https endpoint: the token is never sent in clear over a network. */
function checkEndpoint(endpoint: string): string {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    throw new InfraktError('VALIDATION', `invalid --endpoint '${endpoint}'`, {
      hint: 'give a URL such as https://api.hetzner.cloud/v1',
    });
  }
  const loopback = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(u.hostname);
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback))
    throw new InfraktError('VALIDATION', `--endpoint must be https (or http on loopback): ${u.origin}`);
  if (u.username || u.password || u.search || u.hash)
    throw new InfraktError('VALIDATION', '--endpoint must be a plain base URL');
  return u.href.replace(/\/+$/, '');
}

/**
 * `provider add hetzner --name N`: stores the API token sealed under the master key (bound to the provider's
 * name) after checking it against the API. Adding a name again replaces its token (rotation).
 */
export async function addProvider(
  ctx: Ctx,
  input: { type: string; name: string; token: Secret; endpoint?: string; verify?: boolean },
): Promise<{ provider: ProviderView; replaced: boolean }> {
  if (!(PROVIDER_TYPES as readonly string[]).includes(input.type))
    throw new InfraktError('VALIDATION', `unknown provider type '${input.type}'`, {
      hint: `supported: ${PROVIDER_TYPES.join(', ')}`,
    });
  const name = parseInput(nameSchema, input.name, 'provider name');
  const token = input.token.reveal().trim();
  if (!/^[A-Za-z0-9_-]{16,256}$/.test(token))
    throw new InfraktError(
      'VALIDATION',
      'the API token does not look like a Hetzner Cloud token (64 letters and digits)',
    );
  const settings: ProviderSettings = input.endpoint ? { endpoint: checkEndpoint(input.endpoint) } : {};
  if (input.verify !== false) {
    // One cheap authenticated read: a wrong or read-only token is refused here, not in the middle of a create.
    const client = new HetznerClient({
      token: new Secret(token),
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
    });
    await client.request('GET', '/ssh_keys?per_page=1');
  }
  const existing = await ctx.store.db.selectFrom('providers').select('id').where('name', '=', name).executeTakeFirst();
  const now = nowIso(ctx);
  const token_enc = seal(ctx.cipher, 'provider', name, token);
  await ctx.store.db
    .insertInto('providers')
    .values({
      name,
      type: input.type,
      token_enc,
      settings_json: JSON.stringify(settings),
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc
        .column('name')
        .doUpdateSet({ type: input.type, token_enc, settings_json: JSON.stringify(settings), updated_at: now }),
    )
    .execute();
  await audit(ctx, existing ? 'provider.replace' : 'provider.add', name, { type: input.type, ...settings });
  return { provider: await getProvider(ctx, name), replaced: Boolean(existing) };
}

export async function listProviders(ctx: Ctx): Promise<ProviderView[]> {
  const rows = await ctx.store.db.selectFrom('providers').selectAll().orderBy('name').execute();
  const counts = await ctx.store.db
    .selectFrom('provider_servers')
    .select(['provider_id', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('provider_id')
    .execute();
  const n = new Map(counts.map((c) => [c.provider_id, Number(c.n)]));
  return rows.map((r) => ({
    name: r.name,
    type: r.type as ProviderType,
    endpoint: (JSON.parse(r.settings_json) as ProviderSettings).endpoint ?? 'https://api.hetzner.cloud/v1',
    servers: n.get(r.id) ?? 0,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  }));
}

export async function getProvider(ctx: Ctx, name: string): Promise<ProviderView> {
  const p = (await listProviders(ctx)).find((x) => x.name === name);
  if (!p) throw notFound('provider', name, 'add one with: infrakt provider add hetzner --name <name> (token on stdin)');
  return p;
}

/** `provider remove`: only while no server it created is still known (destroy those first). */
export async function removeProvider(ctx: Ctx, name: string): Promise<void> {
  const p = await getProvider(ctx, name);
  if (p.servers > 0) {
    throw new InfraktError('CONFLICT', `provider '${name}' still has ${p.servers} server(s) infrakt created`, {
      hint: 'destroy them first with: infrakt server destroy <name>',
    });
  }
  await ctx.store.db.deleteFrom('providers').where('name', '=', name).execute();
  await audit(ctx, 'provider.remove', name);
}

/** An API client for a stored provider (the token unsealed in memory only). */
export async function providerClient(
  ctx: Ctx,
  name: string,
  opts: Omit<HetznerClientOptions, 'token' | 'endpoint'> = {},
): Promise<{ id: number; client: HetznerClient }> {
  const row = await ctx.store.db.selectFrom('providers').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row)
    throw notFound('provider', name, 'add one with: infrakt provider add hetzner --name <name> (token on stdin)');
  const settings = JSON.parse(row.settings_json) as ProviderSettings;
  const token = new Secret(unseal(ctx.cipher, 'provider', name, row.token_enc));
  return {
    id: row.id,
    client: new HetznerClient({ ...opts, token, ...(settings.endpoint ? { endpoint: settings.endpoint } : {}) }),
  };
}
