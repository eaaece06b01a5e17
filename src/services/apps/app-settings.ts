import type { AppRow } from '../../adapters/store/schema.js';
import type { ServiceTuning } from '../../core/plans/deploy-compose.js';
import { appLayout, appVolume } from '../../core/plans/layout.js';
import { type HealthCheck, healthCheckSchema } from '../../core/schemas/app.js';
import { type VolumeSpec, volumeText } from '../../core/schemas/app-settings.js';

// An app's settings_json: health check, compose file, how releases run (`app update`), private git access.

/** Private git access of an app (secrets sealed under the master key, never in a view). */
export interface GitAccess {
  /** SSH sources: pinned host keys of the git host (`type base64`), or a fingerprint to pin on first fetch. */
  hostKeys?: string[];
  hostKeyFingerprint?: string;
  /** SSH sources: the app's ed25519 deploy key (`app deploy-key`). */
  deployKey?: { publicKey: string; sealed: string; createdAt: string };
  /** https sources: a token handed to git through a credential helper. */
  token?: { username: string; sealed: string };
}

/** A deploy waits this long for requests in flight to the previous release, unless the app says otherwise (Kamal's too). */
export const DEFAULT_DRAIN_TIMEOUT_SEC = 30;

/** What an app row keeps in settings_json beyond its columns. */
export interface AppSettings {
  health: HealthCheck;
  /** Compose apps: the user's compose file as uploaded by `app create --compose-file` (re-read on update). */
  compose?: { content: string; sha256: string };
  /**
   * The fixed pause between switching traffic and stopping the previous release (ms, default 1000), where Caddy
   * cannot tell what is in flight (no switch through it, no curl on the server).
   */
  drainMs?: number;
  /** How long a deploy waits for the requests in flight to the previous release (s, default 30; 0: none). */
  drainTimeoutSec?: number;
  /** `app update`: how releases run (applied by the next deploy). */
  memory?: string;
  cpus?: number;
  restart?: string;
  volumes?: VolumeSpec[];
  releaseCommand?: string;
  /** Run in the app's container before `app backup` reads its volumes (a database dump); failing fails the backup. */
  preBackupHook?: string;
  /** Run releases with an init as PID 1 (default true) and how long a stop waits before SIGKILL. */
  init?: boolean;
  stopTimeoutSec?: number;
  /** `www.<domain>` answers with a permanent redirect to `<domain>` (applied to the routes at once). */
  wwwRedirect?: boolean;
  git?: GitAccess;
}

export function appSettings(app: Pick<AppRow, 'settings_json'>): AppSettings {
  const raw = JSON.parse(app.settings_json || '{}') as Partial<AppSettings>;
  return { ...raw, health: healthCheckSchema.parse(raw.health ?? {}) };
}

/** How a release was configured, recorded with it: port, health, limits, restart, volumes, release command. */
export interface RuntimeSnapshot {
  port: number;
  healthPath: string;
  healthTimeoutMs: number;
  memory: string | null;
  cpus: number | null;
  restart: string;
  volumes: string[];
  releaseCommand: string | null;
  /** The source setting the release was made from: image, branch or compose file hash. */
  source: string | null;
}

export function runtimeSnapshot(app: AppRow): RuntimeSnapshot {
  const s = appSettings(app);
  return {
    port: app.port,
    healthPath: s.health.path,
    healthTimeoutMs: s.health.timeoutMs,
    memory: s.memory ?? null,
    cpus: s.cpus ?? null,
    restart: s.restart ?? 'unless-stopped',
    volumes: (s.volumes ?? []).map(volumeText),
    releaseCommand: s.releaseCommand ?? null,
    source: sourceSetting(app, s),
  };
}

function sourceSetting(app: AppRow, s: AppSettings): string | null {
  if (app.app_type === 'image') return app.image;
  if (app.app_type === 'git') return `${app.git_repo}#${app.branch}`;
  if (app.app_type === 'compose') return s.compose ? `compose ${s.compose.sha256.slice(0, 12)}` : null;
  return null;
}

/** The routed service's limits, restart policy and mounts, from the app's settings. */
export function tuningOf(app: AppRow, root: string): ServiceTuning {
  const s = appSettings(app);
  const l = appLayout(root, app.name);
  return {
    memory: s.memory,
    cpus: s.cpus,
    restart: s.restart,
    mounts: (s.volumes ?? []).map((v) =>
      v.kind === 'named'
        ? { kind: 'volume' as const, source: appVolume(app.name, v.name), path: v.path, readOnly: v.readOnly }
        : { kind: 'bind' as const, source: `${l.mountsDir}/${v.source}`, path: v.path, readOnly: v.readOnly },
    ),
  };
}
