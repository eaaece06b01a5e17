import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { AppRow, ServerRow } from '../../adapters/store/schema.js';
import { DB_ENGINES } from '../../core/commands/db-engines.js';
import { InfraktError } from '../../core/errors.js';
import { DB_TYPES, type DbType } from '../../core/schemas/app.js';
import { nameSchema } from '../../core/schemas/common.js';
import { parseInput } from '../../core/schemas/parse.js';
import type { DatabaseView, DbSchedule } from '../../core/schemas/views/databases.js';
import { Secret } from '../../core/secret.js';
import { getServerRow, serverRowByName } from '../servers/servers.js';
import { assertInScope } from '../shared/access.js';
import type { Ctx } from '../shared/context.js';

/** Image tags: `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$` (a docker tag, without registry or digest). */
export const dbVersionSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be an image tag such as 16, 15.4 or 7-alpine');

export const dbTypeSchema = z.enum(DB_TYPES, { error: `must be one of: ${DB_TYPES.join(', ')}` });

/** What infrakt keeps about a database in `apps.settings_json` (no secret: the password is not stored). */
export interface DbSettings {
  type: DbType;
  version: string;
  image: string;
  containerPort: number;
  hostPort: number | null;
  schedule?: DbSchedule | null;
}

/** URL-safe password from the CSPRNG: 24 bytes = 192 bits (≥ 144), 32 characters of [A-Za-z0-9_-]. */
export function generatePassword(): Secret {
  return new Secret(randomBytes(24).toString('base64url'));
}

export function dbSettings(app: AppRow): DbSettings {
  const s = JSON.parse(app.settings_json || '{}') as { db?: DbSettings };
  if (!s.db) throw new InfraktError('INTERNAL', `database '${app.name}' has no settings`);
  return s.db;
}

export const isDatabase = (app: Pick<AppRow, 'app_type'>): boolean => app.app_type.startsWith('db:');

export function toDatabaseView(app: AppRow, server: string): DatabaseView {
  const s = dbSettings(app);
  return {
    id: app.id,
    name: app.name,
    server,
    type: s.type,
    version: s.version,
    image: s.image,
    port: s.hostPort,
    networkHost: app.name,
    networkPort: s.containerPort,
    status: app.status,
    schedule: s.schedule ?? null,
    createdAt: app.created_at,
    updatedAt: app.updated_at,
  };
}

/** A database by name (and server when the name exists on several); an app of another kind is NOT_FOUND. */
export async function resolveDatabase(
  ctx: Ctx,
  name: string,
  server?: string,
): Promise<{ app: AppRow; server: ServerRow; settings: DbSettings }> {
  parseInput(nameSchema, name, 'database name');
  let q = ctx.store.db
    .selectFrom('apps')
    .innerJoin('servers', 'servers.id', 'apps.server_id')
    .selectAll('apps')
    .select('servers.name as server_name')
    .where('apps.name', '=', name)
    .where('apps.app_type', 'like', 'db:%');
  if (server) q = q.where('servers.name', '=', server);
  const rows = await q.execute();
  if (rows.length === 0) {
    if (server) await getServerRow(ctx, server);
    throw new InfraktError('NOT_FOUND', `database '${name}' not found${server ? ` on server '${server}'` : ''}`, {
      hint: 'list databases with: infrakt db list',
    });
  }
  if (rows.length > 1) {
    throw new InfraktError(
      'CONFLICT',
      `database name '${name}' exists on several servers: ${rows.map((r) => r.server_name).join(', ')}`,
      { hint: 'pass --server <name> to choose one' },
    );
  }
  const { server_name, ...app } = rows[0]!;
  assertInScope(ctx, { server: server_name, app: app.name });
  return { app, server: await serverRowByName(ctx, server_name), settings: dbSettings(app) };
}

export const defaultVersion = (type: DbType): string => DB_ENGINES[type].defaultVersion;
