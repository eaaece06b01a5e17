import { checkKeyPath } from '../../adapters/local/key-file.js';
import type { ServerRow } from '../../adapters/store/schema.js';
import { InfraktError, notFound } from '../../core/errors.js';
import type { JobSpec } from '../../core/jobs.js';
import { parseInput } from '../../core/schemas/parse.js';
import {
  type ProxySettings,
  proxySettingsSchema,
  type ServerAddInput,
  serverAddSchema,
} from '../../core/schemas/server.js';
import type { EdgeInfo } from '../../core/schemas/views/edge.js';
import type { ServerView } from '../../core/schemas/views/servers.js';
import { revokeEdgeKey } from '../edge/devices.js';
import { edgeInfos } from '../edge/tunnel-state.js';
import { admitLocal } from '../governance/gate.js';
import { assertInScope, visible } from '../shared/access.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import type { JobPlan } from '../shared/job-plan.js';

/** Certificates from an ACME CA (`server set --acme-*`): the CA root is kept as PEM text. */
export interface AcmeServerSettings {
  email?: string;
  ca?: string;
  caRoot?: string;
}

export function serverSettings(
  row: Pick<ServerRow, 'settings_json'>,
): { proxy: ProxySettings; acme?: AcmeServerSettings } & Record<string, unknown> {
  const raw = JSON.parse(row.settings_json || '{}') as Record<string, unknown>;
  return { ...raw, proxy: proxySettingsSchema.parse(raw.proxy ?? {}) };
}

export function toServerView(row: ServerRow, appCount = 0, edge: EdgeInfo | null = null): ServerView {
  const settings = serverSettings(row);
  return {
    id: row.id,
    name: row.name,
    host: row.host,
    port: row.port,
    user: row.user,
    keyPath: row.key_path,
    provider: row.provider,
    root: row.root_dir,
    status: row.status,
    hostKeyFingerprint: row.host_key_fingerprint,
    lastCheckedAt: row.last_checked_at,
    lastError: row.last_error,
    appCount,
    proxy: settings.proxy,
    acme: settings.acme
      ? { email: settings.acme.email ?? null, ca: settings.acme.ca ?? null, caRoot: Boolean(settings.acme.caRoot) }
      : null,
    allowPrivateGit: (settings.git as { privateHosts?: unknown } | undefined)?.privateHosts === true,
    edge,
    createdAt: row.created_at,
  };
}

/** A server named by the caller: NOT_FOUND, or FORBIDDEN outside the caller's scope. */
export async function getServerRow(ctx: Ctx, name: string): Promise<ServerRow> {
  const row = await serverRowByName(ctx, name);
  assertInScope(ctx, { server: row.name });
  return row;
}

/** The server of a resource the caller may already touch (its app): no scope check of its own. */
export async function serverRowByName(ctx: Ctx, name: string): Promise<ServerRow> {
  const row = await ctx.store.db.selectFrom('servers').selectAll().where('name', '=', name).executeTakeFirst();
  if (!row) throw notFound('server', name, 'list servers with: infrakt server list');
  return row;
}

/** What the caller may register: the API is narrower than the CLI (issue 11 items 6 and 7). */
export interface RegisterPolicy {
  /** Key files only inside this directory ($INFRAKT_HOME/keys over the API); default: any regular file. */
  readonly keysIn?: string;
  /** Whether `host: local` (commands on this machine, no SSH) may be registered. Default true (CLI). */
  readonly allowLocal?: boolean;
}

/** Registers a server (validation first; nothing is written on bad input). */
export async function registerServer(
  ctx: Ctx,
  input: ServerAddInput & { proxy?: Partial<ProxySettings> },
  policy: RegisterPolicy = {},
): Promise<ServerRow> {
  const data = parseInput(serverAddSchema, input, 'server');
  const proxy = parseInput(proxySettingsSchema, input.proxy ?? {}, 'proxy settings');
  if (data.host === 'local' && policy.allowLocal === false) throw localServerRefused();
  if (data.keyPath) data.keyPath = checkKeyPath(data.keyPath, policy.keysIn ? { confineTo: policy.keysIn } : {});
  const existing = await ctx.store.db
    .selectFrom('servers')
    .select('id')
    .where('name', '=', data.name)
    .executeTakeFirst();
  if (existing) {
    throw new InfraktError('CONFLICT', `a server named '${data.name}' already exists`, {
      hint: 'choose another name, or remove the old one with infrakt server remove',
    });
  }
  const now = nowIso(ctx);
  const row = await ctx.store.db
    .insertInto('servers')
    .values({
      name: data.name,
      host: data.host,
      port: data.port,
      user: data.user,
      key_path: data.keyPath ?? null,
      provider: data.provider ?? null,
      root_dir: data.root,
      status: 'unknown',
      host_key_fingerprint: data.fingerprint ?? null,
      host_key: null,
      settings_json: JSON.stringify({ proxy }),
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await audit(ctx, 'server.add', data.name, { host: data.host, port: data.port, user: data.user });
  return row;
}

export async function listServers(ctx: Ctx): Promise<ServerView[]> {
  const rows = await ctx.store.db
    .selectFrom('servers')
    .leftJoin('apps', 'apps.server_id', 'servers.id')
    .selectAll('servers')
    .select((eb) => eb.fn.count<number>('apps.id').as('app_count'))
    .groupBy('servers.id')
    .orderBy('servers.name')
    .execute();
  const edge = await edgeInfos(
    ctx,
    rows.map((r) => r.id),
  );
  return visible(ctx, rows, (r) => ({ server: r.name })).map((r) =>
    toServerView(r, Number(r.app_count), edge.get(r.id) ?? null),
  );
}

export async function getServer(ctx: Ctx, name: string): Promise<ServerView> {
  const row = await getServerRow(ctx, name);
  const count = await ctx.store.db
    .selectFrom('apps')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('server_id', '=', row.id)
    .executeTakeFirstOrThrow();
  const edge = await edgeInfos(ctx, [row.id]);
  return toServerView(row, Number(count.n), edge.get(row.id) ?? null);
}

export async function countApps(ctx: Ctx, serverId: number): Promise<number> {
  const r = await ctx.store.db
    .selectFrom('apps')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('server_id', '=', serverId)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

type Removed = { apps: number; edgeKeyRevokedAt: string | null; edgeSessionEnded: boolean | null };

/**
 * Forgets a server locally. With apps registered it refuses unless `force`:
 * the apps (and their env vars, deployments) are forgotten too; nothing on the server is touched.
 * A policy may ask for approval first (APPROVAL_PENDING, naming the held request).
 */
export async function removeServer(ctx: Ctx, name: string, opts: { force?: boolean } = {}): Promise<Removed> {
  const { row, apps } = await checkRemovable(ctx, name, opts);
  await admitLocal(ctx, removeSpec(row, apps, opts));
  return forgetServer(ctx, row, apps);
}

async function checkRemovable(ctx: Ctx, name: string, opts: { force?: boolean }) {
  const row = await getServerRow(ctx, name);
  const node = await ctx.store.db
    .selectFrom('cluster_nodes')
    .innerJoin('clusters', 'clusters.id', 'cluster_nodes.cluster_id')
    .select('clusters.name')
    .where('cluster_nodes.server_id', '=', row.id)
    .executeTakeFirst();
  if (node) {
    throw new InfraktError('CONFLICT', `server '${name}' is a node of cluster '${node.name}'`, {
      hint: `remove it from the cluster first: infrakt cluster remove-node ${node.name} ${name}`,
    });
  }
  const apps = await countApps(ctx, row.id);
  if (apps > 0 && !opts.force) {
    throw new InfraktError('CONFLICT', `server '${name}' has ${apps} app(s) registered`, {
      hint: 'pass --force to remove the server and forget its apps (nothing on the server is changed)',
    });
  }
  return { row, apps };
}

const removeSpec = (row: ServerRow, apps: number, opts: { force?: boolean }): JobSpec => ({
  kind: 'server.remove',
  target: row.name,
  serverId: row.id,
  params: { server: row.name, force: Boolean(opts.force), apps },
});

async function forgetServer(ctx: Ctx, row: ServerRow, apps: number): Promise<Removed> {
  // An edge device's tunnel key goes first: if its meeting point cannot be written, nothing is forgotten.
  const revoked = await revokeEdgeKey(ctx, row);
  const edgeKeyRevokedAt = revoked?.at ?? null;
  await ctx.store.db.transaction().execute(async (trx) => {
    await trx.deleteFrom('apps').where('server_id', '=', row.id).execute();
    await trx.deleteFrom('servers').where('id', '=', row.id).execute();
  });
  await audit(ctx, 'server.remove', row.name, { apps, ...(edgeKeyRevokedAt ? { edgeKeyRevokedAt } : {}) });
  return { apps, edgeKeyRevokedAt, edgeSessionEnded: revoked?.sessionEnded ?? null };
}

/** An approved `server remove`, run as a job: checked again (apps may have come since), then forgotten. */
export async function prepareServerRemove(
  ctx: Ctx,
  name: string,
  opts: { force?: boolean } = {},
): Promise<JobPlan<{ server: string; apps: number }>> {
  const { row, apps } = await checkRemovable(ctx, name, opts);
  return {
    spec: { ...removeSpec(row, apps, opts), plannedSteps: ['forget server'] },
    body: async (job) => {
      const r = await job.step('forget server', async (s) => {
        const done = await forgetServer(ctx, row, apps);
        s.detail(`${row.name} and ${done.apps} app(s) forgotten; nothing on the server changed`);
        return done;
      });
      return { server: row.name, apps: r.apps };
    },
  };
}

export async function updateServer(ctx: Ctx, id: number, patch: Partial<Omit<ServerRow, 'id' | 'created_at'>>) {
  await ctx.store.db
    .updateTable('servers')
    .set({ ...patch, updated_at: nowIso(ctx) })
    .where('id', '=', id)
    .execute();
}

/** The API acts on the control host itself only when its operator opted in. */
export const localServerRefused = (): InfraktError =>
  new InfraktError(
    'FORBIDDEN',
    'the API does not act on this machine (host local): that would run commands on the control host',
    {
      hint: 'use the CLI for a local server, or start the API with: infrakt serve --allow-local-server',
    },
  );
