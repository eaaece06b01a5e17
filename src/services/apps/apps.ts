import { createHash } from 'node:crypto';
import type { AppRow, ServerRow } from '../../adapters/store/schema.js';
import { InfraktError, notFound } from '../../core/errors.js';
import { parseComposeFile, routedService } from '../../core/plans/deploy-compose.js';
import { type AppCreateInput, appCreateSchema, healthCheckSchema, inferAppType } from '../../core/schemas/app.js';
import type { ClusterAppInput } from '../../core/schemas/cluster.js';
import { nameSchema } from '../../core/schemas/common.js';
import { gitTokenSchema, gitUsernameSchema, parseGitHostKey } from '../../core/schemas/git-source.js';
import { parseInput } from '../../core/schemas/parse.js';
import type { AppView } from '../../core/schemas/views/apps.js';
import type { Secret } from '../../core/secret.js';
import { assertComposeForCluster } from '../../core/swarm/compose-stack.js';
import { clusterPlacement, clusterSettingsByApp, recordClusterApp } from '../clusters/cluster-apps.js';
import { getServerRow, serverRowByName } from '../servers/servers.js';
import { assertInScope, visible } from '../shared/access.js';
import { audit } from '../shared/audit.js';
import type { Ctx } from '../shared/context.js';
import { nowIso } from '../shared/context.js';
import { assertDomainsFree, extraDomains, writeDomains } from './app-domains.js';
import { assertGitSourceAllowed, ensureDeployKey, type GitRemote, gitRemoteOf, sealGitToken } from './git-access.js';
import { assertComposeAllowed } from './privileges.js';

/** The user name an https token is sent with unless `--git-username` says otherwise (GitHub's convention). */
export const DEFAULT_GIT_USERNAME = 'x-access-token';

/** Validates a compose file (parses, has services, one service carries the app port) and keeps its content. */
export function composeSetting(content: string, port: number): { content: string; sha256: string } {
  if (content.length > 1_000_000) throw new InfraktError('VALIDATION', 'the compose file is larger than 1 MB');
  routedService(parseComposeFile(content), port);
  return { content, sha256: createHash('sha256').update(content).digest('hex') };
}

/** The runtime settings of an app as kept in settings_json (see release-source.ts `releaseRuntime`). */
export function runtimeSettings(i: {
  init?: boolean | undefined;
  stopTimeout?: number | undefined;
  drainTimeout?: number | undefined;
}) {
  return {
    ...(i.init !== undefined ? { init: i.init } : {}),
    ...(i.stopTimeout !== undefined ? { stopTimeoutSec: i.stopTimeout } : {}),
    ...(i.drainTimeout !== undefined ? { drainTimeoutSec: i.drainTimeout } : {}),
  };
}

export type AppWithServer = { app: AppRow; server: ServerRow };

/** `toAppView` with the app's cluster settings (null for an app on one server). */
export async function appViewOf(ctx: Ctx, app: AppRow, serverName: string, extra: readonly string[] = []) {
  const clusters = await clusterSettingsByApp(ctx);
  return { ...toAppView(app, serverName, extra), cluster: clusters.get(app.id) ?? null };
}

/** The app as faces show it; `extra` are its domains beyond the primary one (see app-domains.ts). */
export function toAppView(app: AppRow, serverName: string, extra: readonly string[] = []): AppView {
  return {
    id: app.id,
    name: app.name,
    server: serverName,
    type: app.app_type,
    domain: app.domain,
    domains: app.domain ? [app.domain, ...extra] : [],
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

export interface AppCreateExtras {
  /** Content of the user's compose file (compose apps). */
  composeFile?: string;
  /** SSH sources: the git host's key (or its SHA256 fingerprint) to pin instead of trusting the first fetch. */
  gitHostKey?: string;
  /** https sources: a token for a private repository (sealed; handed to git through a credential helper). */
  gitToken?: Secret;
  gitUsername?: string;
}

/**
 * `composeFile` is the content of the user's compose file (compose apps): it is validated here and stored
 * with the app, so a deploy never depends on a file on the machine that created the app. An SSH git source
 * gets its deploy key at once (`app deploy-key` shows it).
 */
export async function createApp(
  ctx: Ctx,
  input: Omit<AppCreateInput, 'server'> & AppCreateExtras & { server?: string; cluster?: ClusterAppInput },
): Promise<AppView> {
  // On a cluster the app is recorded on the cluster's first manager; replicas, placement are checked first.
  const onCluster = input.cluster
    ? await clusterPlacement(ctx, input.cluster, { image: input.image, git: input.git, composeFile: input.composeFile })
    : null;
  if (onCluster && input.server && input.server !== onCluster.server) {
    throw new InfraktError('VALIDATION', 'pass either --server or --cluster, not both');
  }
  const data = parseInput(appCreateSchema, onCluster ? { ...input, server: onCluster.server } : input, 'app');
  const compose = input.composeFile === undefined ? undefined : composeSetting(input.composeFile, data.port);
  if (compose) assertComposeAllowed(ctx, compose.content);
  // On a cluster the file becomes a stack file: what Swarm cannot run is refused now, not at the first deploy.
  if (compose && onCluster) assertComposeForCluster(parseComposeFile(compose.content), data.port);
  if (compose && (data.image || data.git)) {
    throw new InfraktError(
      'VALIDATION',
      'a compose file is for compose apps: drop --image/--git, or drop --compose-file',
    );
  }
  const remote = data.git ? gitRemoteOf(data.git) : null;
  const git = gitAccessInput(remote, input);
  const server = await getServerRow(ctx, data.server);
  // Refused here, not at the first deploy: an app is created with the source it deploys.
  if (!data.image && !data.git && !compose) {
    throw new InfraktError('VALIDATION', `app '${data.name}' needs a source`, {
      hint: 'pass --image <ref>, --git <URL or server path>, or --compose-file <path>',
    });
  }
  // A network source must point at a public host (CLI and API alike) unless the server allows private ones.
  if (data.git) await assertGitSourceAllowed(ctx, server, data.git);
  const domains = data.domains?.length ? data.domains : data.domain ? [data.domain] : [];
  const type = inferAppType(data);
  const health = healthCheckSchema.parse(data.health ?? {});
  const now = nowIso(ctx);
  const row = await ctx.store.db.transaction().execute(async (trx) => {
    const clash = await trx
      .selectFrom('apps')
      .select('name')
      .where('server_id', '=', server.id)
      .where('name', '=', data.name)
      .executeTakeFirst();
    if (clash) {
      throw new InfraktError('CONFLICT', `an app named '${data.name}' already exists on server '${server.name}'`, {
        hint: 'choose another name, or destroy the existing app first',
      });
    }
    await assertDomainsFree(trx, { id: -1, server_id: server.id }, domains, false);
    const inserted = await trx
      .insertInto('apps')
      .values({
        server_id: server.id,
        name: data.name,
        app_type: type,
        domain: null,
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
    await writeDomains(ctx, trx, inserted, domains);
    if (onCluster) await recordClusterApp(ctx, inserted.id, onCluster, trx);
    if (git.hostKey || git.token) {
      const token = git.token ? sealGitToken(ctx, inserted.id, git.token, git.username) : undefined;
      const access = { ...(git.hostKey ?? {}), ...(token ? { token } : {}) };
      await trx
        .updateTable('apps')
        .set({ settings_json: JSON.stringify({ health, compose, ...runtimeSettings(data), git: access }) })
        .where('id', '=', inserted.id)
        .execute();
    }
    return trx.selectFrom('apps').selectAll().where('id', '=', inserted.id).executeTakeFirstOrThrow();
  });
  await audit(ctx, 'app.create', `${server.name}/${data.name}`, {
    type,
    domains,
    ...(onCluster ? { cluster: onCluster.settings.cluster } : {}),
  });
  if (remote?.kind === 'ssh') await ensureDeployKey(ctx, row, server.name);
  return { ...toAppView(row, server.name, domains.slice(1)), cluster: onCluster?.settings ?? null };
}

/** Checks `--git-host-key` / `--git-token` against the kind of git source (before anything is written). */
export function gitAccessInput(
  remote: GitRemote | null,
  input: Pick<AppCreateExtras, 'gitHostKey' | 'gitToken' | 'gitUsername'>,
): { hostKey?: { hostKeys: string[] } | { hostKeyFingerprint: string }; token?: Secret; username: string } {
  const out: ReturnType<typeof gitAccessInput> = { username: input.gitUsername ?? DEFAULT_GIT_USERNAME };
  if (input.gitHostKey !== undefined) {
    if (remote?.kind !== 'ssh') throw new InfraktError('VALIDATION', '--git-host-key is for SSH git sources');
    let parsed: ReturnType<typeof parseGitHostKey>;
    try {
      parsed = parseGitHostKey(input.gitHostKey);
    } catch (e) {
      throw new InfraktError('VALIDATION', `invalid git host key: ${(e as Error).message}`);
    }
    out.hostKey = 'key' in parsed ? { hostKeys: [parsed.key] } : { hostKeyFingerprint: parsed.fingerprint };
  }
  if (input.gitToken !== undefined || input.gitUsername !== undefined) {
    if (remote?.kind !== 'https') throw new InfraktError('VALIDATION', '--git-token is for https git sources');
    if (input.gitToken === undefined) throw new InfraktError('VALIDATION', '--git-username needs --git-token');
    parseInput(gitTokenSchema, input.gitToken.reveal(), 'git token');
    out.username = parseInput(gitUsernameSchema, out.username, 'git username');
    out.token = input.gitToken;
  }
  return out;
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
  const shown = visible(ctx, rows, (r) => ({ server: r.server_name, app: r.name }));
  const extra = await extraDomains(
    ctx.store.db,
    shown.map((r) => r.id),
  );
  const clusters = await clusterSettingsByApp(ctx);
  return shown.map((r) => ({ ...toAppView(r, r.server_name, extra.get(r.id)), cluster: clusters.get(r.id) ?? null }));
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
