import type { AppRow, ServerRow } from '../adapters/store/schema.js';
import { InfraktError, notFound } from '../core/errors.js';
import { type AppCreateInput, appCreateSchema, healthCheckSchema, inferAppType } from '../core/schemas/app.js';
import { nameSchema } from '../core/schemas/common.js';
import { parseInput } from '../core/schemas/parse.js';
import { audit } from './audit.js';
import type { Ctx } from './context.js';
import { nowIso } from './context.js';
import { getServerRow } from './servers.js';

export interface AppView {
  id: number;
  name: string;
  server: string;
  type: string;
  domain: string | null;
  port: number;
  git: string | null;
  branch: string | null;
  image: string | null;
  status: string;
  currentRelease: number | null;
  createdAt: string;
  updatedAt: string;
}

export type AppWithServer = { app: AppRow; server: ServerRow };

export function toAppView(app: AppRow, serverName: string): AppView {
  return {
    id: app.id,
    name: app.name,
    server: serverName,
    type: app.app_type,
    domain: app.domain,
    port: app.port,
    git: app.git_repo,
    branch: app.branch,
    image: app.image,
    status: app.status,
    currentRelease: app.current_release,
    createdAt: app.created_at,
    updatedAt: app.updated_at,
  };
}

export async function createApp(ctx: Ctx, input: AppCreateInput): Promise<AppView> {
  const data = parseInput(appCreateSchema, input, 'app');
  const server = await getServerRow(ctx, data.server);
  const clash = await ctx.store.db
    .selectFrom('apps')
    .select(['name', 'domain'])
    .where('server_id', '=', server.id)
    .where((eb) => eb.or([eb('name', '=', data.name), ...(data.domain ? [eb('domain', '=', data.domain)] : [])]))
    .executeTakeFirst();
  if (clash?.name === data.name) {
    throw new InfraktError('CONFLICT', `an app named '${data.name}' already exists on server '${server.name}'`, {
      hint: 'choose another name, or destroy the existing app first',
    });
  }
  if (clash) {
    throw new InfraktError(
      'CONFLICT',
      `domain ${data.domain} is already used by app '${clash.name}' on '${server.name}'`,
    );
  }
  const type = inferAppType(data);
  const health = healthCheckSchema.parse(data.health ?? {});
  const now = nowIso(ctx);
  const row = await ctx.store.db
    .insertInto('apps')
    .values({
      server_id: server.id,
      name: data.name,
      app_type: type,
      domain: data.domain ?? null,
      port: data.port,
      git_repo: data.git ?? null,
      branch: type === 'git' ? data.branch : null,
      image: data.image ?? null,
      status: 'created',
      settings_json: JSON.stringify({ health }),
      current_release: null,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await audit(ctx, 'app.create', `${server.name}/${data.name}`, { type });
  return toAppView(row, server.name);
}

export async function listApps(
  ctx: Ctx,
  opts: { server?: string; includeDatabases?: boolean } = {},
): Promise<AppView[]> {
  let q = ctx.store.db
    .selectFrom('apps')
    .innerJoin('servers', 'servers.id', 'apps.server_id')
    .selectAll('apps')
    .select('servers.name as server_name')
    .orderBy('servers.name')
    .orderBy('apps.name');
  if (opts.server) {
    const server = await getServerRow(ctx, opts.server);
    q = q.where('apps.server_id', '=', server.id);
  }
  if (!opts.includeDatabases) q = q.where('apps.app_type', 'not like', 'db:%');
  const rows = await q.execute();
  return rows.map((r) => toAppView(r, r.server_name));
}

/**
 * Finds an app by name; `server` disambiguates a name used on several servers.
 * An ambiguous name is an error that lists the servers, never a guess.
 */
export async function resolveApp(ctx: Ctx, name: string, server?: string): Promise<AppWithServer> {
  parseInput(nameSchema, name, 'app name');
  let q = ctx.store.db
    .selectFrom('apps')
    .innerJoin('servers', 'servers.id', 'apps.server_id')
    .selectAll('apps')
    .select('servers.name as server_name')
    .where('apps.name', '=', name);
  if (server) q = q.where('servers.name', '=', server);
  const rows = await q.execute();
  if (rows.length === 0) {
    if (server) await getServerRow(ctx, server);
    throw notFound('app', name, 'list apps with: infrakt app list');
  }
  if (rows.length > 1) {
    throw new InfraktError(
      'CONFLICT',
      `app name '${name}' exists on several servers: ${rows.map((r) => r.server_name).join(', ')}`,
      {
        hint: 'pass --server <name> to choose one',
      },
    );
  }
  const { server_name: _s, ...app } = rows[0]!;
  const serverRow = await getServerRow(ctx, rows[0]!.server_name);
  return { app, server: serverRow };
}

export async function updateApp(ctx: Ctx, id: number, patch: Partial<Omit<AppRow, 'id' | 'created_at'>>) {
  await ctx.store.db
    .updateTable('apps')
    .set({ ...patch, updated_at: nowIso(ctx) })
    .where('id', '=', id)
    .execute();
}
