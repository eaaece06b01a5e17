import { z } from 'zod';
import { PRIVILEGE_CLASSES } from '../../compose-privileges.js';

export const appViewSchema = z
  .object({
    id: z.number().int(),
    name: z.string(),
    server: z.string(),
    type: z.string(),
    /** The primary domain (the first of `domains`). */
    domain: z.string().nullable(),
    /** Every domain routed to the app, the primary first. */
    domains: z.array(z.string()),
    port: z.number().int(),
    git: z.string().nullable(),
    branch: z.string().nullable(),
    image: z.string().nullable(),
    status: z.string(),
    currentRelease: z.number().int().nullable(),
    /** Set for an app on a Swarm cluster: its replica settings. */
    cluster: z
      .object({
        cluster: z.string(),
        replicas: z.number().int(),
        placement: z.array(z.string()),
        maxPerNode: z.number().int().nullable(),
      })
      .nullable()
      .optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'App' });
export type AppView = z.infer<typeof appViewSchema>;

/** `app deploy-key`: the public half of an app's SSH deploy key (the private half never leaves the local state). */
export const deployKeyViewSchema = z
  .object({
    app: z.string(),
    server: z.string(),
    /** `ssh-ed25519 AAAA… infrakt-deploy <app>@<server>`: paste it into the git host as a read-only deploy key. */
    publicKey: z.string(),
    fingerprint: z.string(),
    createdAt: z.string(),
    /** True when this call created (or rotated) the key. */
    created: z.boolean(),
  })
  .meta({ id: 'DeployKey' });
export type DeployKeyView = z.infer<typeof deployKeyViewSchema>;

const volumeViewSchema = z.object({
  kind: z.enum(['named', 'bind']),
  /** Volume name, or `./dir` under the app's mounts directory. */
  source: z.string(),
  path: z.string(),
  readOnly: z.boolean(),
  /** `NAME:/path[:ro]` as `--volume` takes it. */
  spec: z.string(),
});

/** What `app update` can change besides the source, what is pending, and the app's private git access. */
export const appSettingsViewSchema = z
  .object({
    app: z.string(),
    server: z.string(),
    domains: z.array(z.string()),
    wwwRedirect: z.boolean(),
    port: z.number().int(),
    health: z.object({ path: z.string(), timeoutMs: z.number().int() }),
    memory: z.string().nullable(),
    cpus: z.number().nullable(),
    restart: z.string(),
    volumes: z.array(volumeViewSchema),
    releaseCommand: z.string().nullable(),
    preBackupHook: z.string().nullable(),
    /** How releases run and stop: an init as PID 1, the stop's grace, the deploy's wait for requests in flight. */
    init: z.boolean(),
    stopTimeoutSec: z.number().int(),
    drainTimeoutSec: z.number().int(),
    git: z
      .object({
        kind: z.enum(['ssh', 'https', 'path']),
        /** SSH sources: the deploy key's public half (null until created). */
        deployKey: z.string().nullable(),
        deployKeyFingerprint: z.string().nullable(),
        /** SSH sources: fingerprints of the pinned git host keys (empty until the first fetch pins them). */
        hostKeys: z.array(z.string()),
        /** https sources: a token is stored (never shown), and the user name it is sent with. */
        token: z.object({ username: z.string() }).nullable(),
      })
      .nullable(),
    /**
     * Privileged compose options an admin allowed for this app: deploys by non-admins (deployers, tokens, webhooks)
     * may use these classes, and are still refused the others.
     */
    privileges: z.array(z.enum(PRIVILEGE_CLASSES)),
    /** Changes the next deploy applies: what the current release was made with → what it will be. */
    pending: z.array(z.string()),
  })
  .meta({ id: 'AppSettings' });
export type AppSettingsView = z.infer<typeof appSettingsViewSchema>;

/** `app update --allow-privileged` / `PUT /api/apps/{name}/privileges`: the allowance now, and what changed. */
export const appPrivilegesViewSchema = z
  .object({
    app: z.string(),
    server: z.string(),
    allowed: z.array(z.enum(PRIVILEGE_CLASSES)),
    added: z.array(z.enum(PRIVILEGE_CLASSES)),
    removed: z.array(z.enum(PRIVILEGE_CLASSES)),
  })
  .meta({ id: 'AppPrivileges' });
export type AppPrivilegesView = z.infer<typeof appPrivilegesViewSchema>;

/** `app update`: the app afterwards, what changed, and whether route changes went live at once. */
export const appUpdateResultSchema = z
  .object({
    app: z.string(),
    server: z.string(),
    changed: z.array(z.string()),
    /** `applied`: Caddy reloaded with the new routes; `stored`: the app has no route yet (next deploy). */
    routes: z.enum(['applied', 'stored', 'unchanged']),
    pending: z.array(z.string()),
  })
  .meta({ id: 'AppUpdateResult' });
export type AppUpdateResult = z.infer<typeof appUpdateResultSchema>;

export const deploymentViewSchema = z
  .object({
    id: z.number().int(),
    release: z.number().int(),
    action: z.string(),
    /** image / git / compose */
    sourceType: z.string(),
    /** Image digest, git commit or compose hash. */
    source: z.string().nullable(),
    status: z.string(),
    current: z.boolean(),
    hostPort: z.number().int().nullable(),
    error: z.string().nullable(),
    /** Last lines of the failed release's containers (scrubbed of the app's variables). */
    logs: z.string().nullable(),
    by: z.string(),
    jobId: z.string().nullable(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'Deployment' });
export type DeploymentView = z.infer<typeof deploymentViewSchema>;

/** A line of an app's logs (`GET /api/apps/{name}/logs` items, SSE `log` events of the log stream). */
export const appLogLineSchema = z
  .object({ stream: z.enum(['stdout', 'stderr']), line: z.string() })
  .meta({ id: 'LogLine' });
export type AppLogLine = z.infer<typeof appLogLineSchema>;

/** The auth in front of an app's route. The basic auth password (and its hash) is never part of it. */
export const appAuthViewSchema = z
  .object({
    app: z.string(),
    auth: z.enum(['none', 'basic', 'forward']),
    user: z.string().nullable().meta({ description: 'basic auth user' }),
    url: z.string().nullable().meta({ description: 'forward_auth endpoint' }),
    /** False when the app has no route yet: the next deploy renders it. */
    applied: z.boolean().optional(),
  })
  .meta({ id: 'AppAuth' });
export type AppAuthView = z.infer<typeof appAuthViewSchema>;

/** `PUT /api/apps/{name}/auth`: what `app update --auth forward:URL|basic:USER|none` sets. */
export const appAuthBody = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('none'), server: z.string().optional() }),
    z.object({ type: z.literal('forward'), url: z.string().min(1).max(2048), server: z.string().optional() }),
    z.object({
      type: z.literal('basic'),
      user: z.string().min(1).max(64),
      password: z.string().meta({ description: '8-72 bytes; stored as a bcrypt hash, never returned' }),
      server: z.string().optional(),
    }),
  ])
  .meta({ id: 'AppAuthBody' });
export type AppAuthBody = z.input<typeof appAuthBody>;
