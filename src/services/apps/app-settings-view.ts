import type { AppRow, ServerRow } from '../../adapters/store/schema.js';
import { volumeText } from '../../core/schemas/app-settings.js';
import type { AppSettingsView } from '../../core/schemas/views/apps.js';
import type { Ctx } from '../shared/context.js';
import { appDomains } from './app-domains.js';
import { appSettings, DEFAULT_DRAIN_TIMEOUT_SEC, type RuntimeSnapshot, runtimeSnapshot } from './app-settings.js';
import { gitHostKeyFingerprint, gitRemoteOf, pinnedGitHostKeys } from './git-access.js';
import { allowedPrivileges } from './privileges.js';
import type { ReleaseDetails } from './release-source.js';

const LABELS: Record<keyof RuntimeSnapshot, string> = {
  port: 'port',
  healthPath: 'health path',
  healthTimeoutMs: 'health timeout (ms)',
  memory: 'memory',
  cpus: 'cpus',
  restart: 'restart',
  volumes: 'volumes',
  releaseCommand: 'release command',
  source: 'source',
};

const text = (v: unknown) =>
  v === null || v === undefined ? 'none' : Array.isArray(v) ? v.join(' ') || 'none' : String(v);

/**
 * What the next deploy changes: the app's settings compared with what its current release was made with.
 * Releases recorded before infrakt kept that snapshot count as made with the defaults and the current source.
 */
export async function pendingChanges(ctx: Ctx, app: AppRow): Promise<string[]> {
  if (app.current_release === null) return [];
  const dep = await ctx.store.db
    .selectFrom('deployments')
    .select('details_json')
    .where('app_id', '=', app.id)
    .where('release', '=', app.current_release)
    .where('status', '=', 'succeeded')
    .executeTakeFirst();
  if (!dep) return [];
  const now = runtimeSnapshot(app);
  const was: RuntimeSnapshot = (JSON.parse(dep.details_json || '{}') as ReleaseDetails).runtime ?? {
    ...now,
    memory: null,
    cpus: null,
    restart: 'unless-stopped',
    volumes: [],
    releaseCommand: null,
  };
  const out: string[] = [];
  for (const k of Object.keys(LABELS) as (keyof RuntimeSnapshot)[]) {
    if (text(was[k]) !== text(now[k])) out.push(`${LABELS[k]}: ${text(was[k])} → ${text(now[k])}`);
  }
  return out;
}

/** `app show` / `GET /api/apps/{name}/settings`: everything `app update` sets, and what is pending. */
export async function appSettingsView(ctx: Ctx, app: AppRow, server: ServerRow): Promise<AppSettingsView> {
  const s = appSettings(app);
  const remote = app.app_type === 'git' && app.git_repo ? gitRemoteOf(app.git_repo) : null;
  const deployKey = s.git?.deployKey?.publicKey ?? null;
  return {
    app: app.name,
    server: server.name,
    domains: await appDomains(ctx.store.db, app),
    wwwRedirect: Boolean(s.wwwRedirect),
    port: app.port,
    health: { path: s.health.path, timeoutMs: s.health.timeoutMs },
    memory: s.memory ?? null,
    cpus: s.cpus ?? null,
    restart: s.restart ?? 'unless-stopped',
    volumes: (s.volumes ?? []).map((v) => ({
      kind: v.kind,
      source: v.kind === 'named' ? v.name : `./${v.source}`,
      path: v.path,
      readOnly: v.readOnly,
      spec: volumeText(v),
    })),
    releaseCommand: s.releaseCommand ?? null,
    preBackupHook: s.preBackupHook ?? null,
    init: s.init ?? true,
    stopTimeoutSec: s.stopTimeoutSec ?? 10,
    drainTimeoutSec: s.drainTimeoutSec ?? DEFAULT_DRAIN_TIMEOUT_SEC,
    git: remote
      ? {
          kind: remote.kind,
          deployKey: remote.kind === 'ssh' ? deployKey : null,
          deployKeyFingerprint:
            remote.kind === 'ssh' && deployKey
              ? gitHostKeyFingerprint(deployKey.split(' ').slice(0, 2).join(' '))
              : null,
          hostKeys: remote.kind === 'ssh' ? pinnedGitHostKeys(s.git).fingerprints : [],
          token: remote.kind === 'https' && s.git?.token ? { username: s.git.token.username } : null,
        }
      : null,
    privileges: await allowedPrivileges(ctx, app.id),
    pending: await pendingChanges(ctx, app),
  };
}
