import { createHash } from 'node:crypto';
import type { AppRow, ServerRow } from '../../adapters/store/schema.js';
import { InfraktError, notFound } from '../../core/errors.js';
import { parseComposeFile, routedService } from '../../core/plans/deploy-compose.js';
import {
  type AppCreateInput,
  appCreateSchema,
  healthCheckSchema,
  inferAppType,
  initSchema,
  stopTimeoutSchema,
} from '../../core/schemas/app.js';
import { branchSchema, imageSchema, nameSchema } from '../../core/schemas/common.js';
import { parseInput } from '../../core/schemas/parse.js';
import type { AppView } from '../../core/schemas/views/apps.js';
import { getServerRow, serverRowByName } from '../servers/servers.js';
import { assertInScope, visible } from '../shared/access.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import { assertPublicGitUrl, type PublicGitUrl } from '../shared/ssrf.js';
import { assertComposeAllowed } from './privileges.js';

/** Validates a compose file (parses, has services, one service carries the app port) and keeps its content. */
export function composeSetting(content: string, port: number): { content: string; sha256: string } {
  if (content.length > 1_000_000) throw new InfraktError('VALIDATION', 'the compose file is larger than 1 MB');
  routedService(parseComposeFile(content), port);
  return { content, sha256: createHash('sha256').update(content).digest('hex') };
}

export interface AppSourceUpdate {
  image?: string;
  branch?: string;
  /** Content of a new compose file (compose apps). */
  composeFile?: string;
  /** Run releases with an init as PID 1 (`--init` / `--no-init`). */
  init?: boolean;
  /** Seconds a stop waits before SIGKILL (`--stop-timeout`). */
  stopTimeout?: number;
}

/** The runtime settings of an app as kept in settings_json (see release-source.ts `releaseRuntime`). */
function runtimeSettings(i: { init?: boolean | undefined; stopTimeout?: number | undefined }) {
  return {
    ...(i.init !== undefined ? { init: i.init } : {}),
    ...(i.stopTimeout !== undefined ? { stopTimeoutSec: i.stopTimeout } : {}),
  };
}

/** `app update`: changes an app's source (image, branch or compose file); applied by the next deploy. */
export async function updateAppSource(
  ctx: Ctx,
  name: string,
  patch: AppSourceUpdate,
  server?: string,
): Promise<AppView> {
  const { app, server: srv } = await resolveApp(ctx, name, server);
  const set: Partial<AppRow> = {};
  const changed: Record<string, unknown> = {};
  const wrongType = (opt: string, type: string) =>
    new InfraktError('VALIDATION', `${opt} is for ${type} apps; '${app.name}' is a ${app.app_type} app`);
  if (patch.image !== undefined) {
    if (app.app_type !== 'image') throw wrongType('--image', 'image');
    set.image = parseInput(imageSchema, patch.image, 'image');
    changed.image = set.image;
  }
  if (patch.branch !== undefined) {
    if (app.app_type !== 'git') throw wrongType('--branch', 'git');
    set.branch = parseInput(branchSchema, patch.branch, 'branch');
    changed.branch = set.branch;
  }
  if (patch.composeFile !== undefined) {
    if (app.app_type !== 'compose') throw wrongType('--compose-file', 'compose');
    const compose = composeSetting(patch.composeFile, app.port);
    assertComposeAllowed(ctx, compose.content);
    set.settings_json = JSON.stringify({
      ...(JSON.parse(app.settings_json || '{}') as Record<string, unknown>),
      compose,
    });
    changed.compose = compose.sha256.slice(0, 16);
  }
  if (patch.init !== undefined || patch.stopTimeout !== undefined) {
    const runtime = runtimeSettings({
      ...(patch.init !== undefined ? { init: parseInput(initSchema, patch.init, 'init') } : {}),
      ...(patch.stopTimeout !== undefined
        ? { stopTimeout: parseInput(stopTimeoutSchema, patch.stopTimeout, 'stop timeout') }
        : {}),
    });
    set.settings_json = JSON.stringify({
      ...(JSON.parse(set.settings_json ?? (app.settings_json || '{}')) as Record<string, unknown>),
      ...runtime,
    });
    Object.assign(changed, runtime);
  }
  if (Object.keys(set).length === 0)
    throw new InfraktError('VALIDATION', 'nothing to update', {
      hint: 'pass --image, --branch, --compose-file, --init/--no-init or --stop-timeout',
    });
  await updateApp(ctx, app.id, set);
  await audit(ctx, 'app.update', `${srv.name}/${app.name}`, changed);
  const row = await ctx.store.db.selectFrom('apps').selectAll().where('id', '=', app.id).executeTakeFirstOrThrow();
  return toAppView(row, srv.name);
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

/** SSRF guard for an https git source: every address its host resolves to must be public. */
export async function assertGitSource(ctx: Pick<Ctx, 'resolve'>, url: string): Promise<PublicGitUrl> {
  return assertPublicGitUrl(url, ctx.resolve ? { resolve: ctx.resolve } : {});
}

/**
 * `composeFile` is the content of the user's compose file (compose apps): it is validated here and stored
 * with the app, so a deploy never depends on a file on the machine that created the app.
 */
export async function createApp(ctx: Ctx, input: AppCreateInput & { composeFile?: string }): Promise<AppView> {
  const data = parseInput(appCreateSchema, input, 'app');
  // An https source must point at a public host (CLI and API alike); repositories on the server are exempt.
  if (data.git && !data.git.startsWith('/')) await assertGitSource(ctx, data.git);
  const compose = input.composeFile === undefined ? undefined : composeSetting(input.composeFile, data.port);
  if (compose) assertComposeAllowed(ctx, compose.content);
  if (compose && (data.image || data.git)) {
    throw new InfraktError(
      'VALIDATION',
      'a compose file is for compose apps: drop --image/--git, or drop --compose-file',
    );
  }
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
      { hint: 'one domain routes to one app per server: choose another domain' },
    );
  }
  // Refused here, not at the first deploy: an app is created with the source it deploys.
  if (!data.image && !data.git && !compose) {
    throw new InfraktError('VALIDATION', `app '${data.name}' needs a source`, {
      hint: 'pass --image <ref>, --git <https URL or server path>, or --compose-file <path>',
    });
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
      settings_json: JSON.stringify({ health, compose, ...runtimeSettings(data) }),
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
  return visible(ctx, rows, (r) => ({ server: r.server_name, app: r.name })).map((r) => toAppView(r, r.server_name));
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
  assertInScope(ctx, { server: rows[0]!.server_name, app: app.name });
  const serverRow = await serverRowByName(ctx, rows[0]!.server_name);
  return { app, server: serverRow };
}

export async function updateApp(ctx: Ctx, id: number, patch: Partial<Omit<AppRow, 'id' | 'created_at'>>) {
  await ctx.store.db
    .updateTable('apps')
    .set({ ...patch, updated_at: nowIso(ctx) })
    .where('id', '=', id)
    .execute();
}
