// `app update`: every option validated against the app before anything is written, turned into the app's
// next row, settings and domains, with a line per change for the user.
import type { AppRow } from '../../adapters/store/schema.js';
import { InfraktError } from '../../core/errors.js';
import {
  drainTimeoutSchema,
  gitUrlSchema,
  healthCheckSchema,
  initSchema,
  stopTimeoutSchema,
} from '../../core/schemas/app.js';
import {
  cpusSchema,
  domainListSchema,
  memorySchema,
  releaseCommandSchema,
  restartSchema,
  type VolumeSpec,
  volumeListSchema,
  volumeText,
} from '../../core/schemas/app-settings.js';
import { branchSchema, imageSchema, portSchema } from '../../core/schemas/common.js';
import { gitUsernameSchema } from '../../core/schemas/git-source.js';
import { parseInput } from '../../core/schemas/parse.js';
import type { Secret } from '../../core/secret.js';
import { type AppSettings, DEFAULT_DRAIN_TIMEOUT_SEC } from './app-settings.js';
import { composeSetting, gitAccessInput } from './apps.js';
import { gitRemoteOf } from './git-access.js';

export interface AppUpdateInput {
  image?: string | undefined;
  branch?: string | undefined;
  /** Content of a new compose file (compose apps). */
  composeFile?: string | undefined;
  git?: string | undefined;
  /** Replaces the app's domains (the first is the primary one); `[]` removes them all. Applied at once. */
  domains?: string[] | undefined;
  wwwRedirect?: boolean | undefined;
  port?: number | undefined;
  healthPath?: string | undefined;
  /** Seconds. */
  healthTimeout?: number | undefined;
  /** `null` removes the limit. */
  memory?: string | null | undefined;
  cpus?: number | string | null | undefined;
  restart?: string | undefined;
  /** Replaces the app's volumes (`NAME:/path[:ro]`, `./dir:/path[:ro]`); `[]` removes them all. */
  volumes?: string[] | undefined;
  releaseCommand?: string | null | undefined;
  /** `null` removes it. */
  preBackupHook?: string | null | undefined;
  /** A key or fingerprint to pin; `null` forgets the pin (the next fetch pins what the host presents). */
  gitHostKey?: string | null | undefined;
  /** `null` removes the stored token. */
  gitToken?: Secret | null | undefined;
  gitUsername?: string | undefined;
  /** Run releases with an init as PID 1. */
  init?: boolean | undefined;
  /** Seconds a stop waits before SIGKILL. */
  stopTimeout?: number | undefined;
  drainTimeout?: number | undefined;
}

export interface AppUpdateDraft {
  /** Column changes (not the domain: see `domains`). */
  row: Partial<AppRow>;
  settings: AppSettings;
  /** Set when the domains change. */
  domains: string[] | null;
  changed: string[];
  /** The domains or the www redirect change: the routes are re-rendered at once. */
  routesChange: boolean;
  /** A token to seal once the app id is known (it is known: the app exists). */
  token: { value: Secret; username: string } | null | undefined;
}

const show = (v: unknown) => (v === null || v === undefined || v === '' ? 'none' : String(v));

/** Validates the input against the app and builds what `app update` will write. */
export function draftAppUpdate(
  app: AppRow,
  current: AppSettings,
  domains: string[],
  i: AppUpdateInput,
): AppUpdateDraft {
  const d: AppUpdateDraft = {
    row: {},
    settings: structuredClone(current),
    domains: null,
    changed: [],
    routesChange: false,
    token: undefined,
  };
  const change = (what: string, from: unknown, to: unknown) => {
    if (show(from) !== show(to)) d.changed.push(`${what}: ${show(from)} → ${show(to)}`);
  };
  const wrongType = (opt: string, type: string) =>
    new InfraktError('VALIDATION', `${opt} is for ${type} apps; '${app.name}' is a ${app.app_type} app`);
  if (app.app_type.startsWith('db:')) {
    throw new InfraktError('UNSUPPORTED', `'${app.name}' is a database`, {
      hint: 'databases are managed with infrakt db',
    });
  }

  if (i.image !== undefined) {
    if (app.app_type !== 'image') throw wrongType('--image', 'image');
    d.row.image = parseInput(imageSchema, i.image, 'image');
    change('image', app.image, d.row.image);
  }
  if (i.branch !== undefined) {
    if (app.app_type !== 'git') throw wrongType('--branch', 'git');
    d.row.branch = parseInput(branchSchema, i.branch, 'branch');
    change('branch', app.branch, d.row.branch);
  }
  if (i.git !== undefined) {
    if (app.app_type !== 'git') throw wrongType('--git', 'git');
    d.row.git_repo = parseInput(gitUrlSchema, i.git, 'git');
    if (d.row.git_repo !== app.git_repo) {
      // Access belongs to a source: a new host needs its key pinned again, a token is for https only.
      const before = gitRemoteOf(app.git_repo ?? '');
      const after = gitRemoteOf(d.row.git_repo);
      const sameHost = before.kind === 'ssh' && after.kind === 'ssh' && before.remote.host === after.remote.host;
      const git = { ...d.settings.git };
      if (!sameHost) {
        delete git.hostKeys;
        delete git.hostKeyFingerprint;
      }
      if (after.kind !== 'https') delete git.token;
      d.settings.git = git;
    }
    change('git', app.git_repo, d.row.git_repo);
  }
  if (i.composeFile !== undefined) {
    if (app.app_type !== 'compose') throw wrongType('--compose-file', 'compose');
    d.settings.compose = composeSetting(i.composeFile, i.port ?? app.port);
    change('compose file', current.compose?.sha256.slice(0, 12), d.settings.compose.sha256.slice(0, 12));
  }
  if (i.port !== undefined) {
    d.row.port = parseInput(portSchema, i.port, 'port');
    // A compose app's port names its routed service: the file must still have exactly one.
    if (app.app_type === 'compose' && d.settings.compose) composeSetting(d.settings.compose.content, d.row.port);
    change('port', app.port, d.row.port);
  }
  if (i.healthPath !== undefined || i.healthTimeout !== undefined) {
    const health = parseInput(
      healthCheckSchema,
      {
        ...current.health,
        ...(i.healthPath !== undefined ? { path: i.healthPath } : {}),
        ...(i.healthTimeout !== undefined ? { timeoutMs: Number(i.healthTimeout) * 1000 } : {}),
      },
      'health',
    );
    change('health path', current.health.path, health.path);
    change('health timeout', `${current.health.timeoutMs / 1000}s`, `${health.timeoutMs / 1000}s`);
    d.settings.health = health;
  }
  if (i.memory !== undefined) {
    const memory = i.memory === null ? undefined : parseInput(memorySchema, i.memory, 'memory');
    change('memory', current.memory, memory);
    d.settings.memory = memory;
  }
  if (i.cpus !== undefined) {
    const cpus = i.cpus === null ? undefined : parseInput(cpusSchema, i.cpus, 'cpus');
    change('cpus', current.cpus, cpus);
    d.settings.cpus = cpus;
  }
  if (i.init !== undefined) {
    const init = parseInput(initSchema, i.init, 'init');
    change('init', current.init ?? true, init);
    d.settings.init = init;
  }
  if (i.stopTimeout !== undefined) {
    const stop = parseInput(stopTimeoutSchema, i.stopTimeout, 'stop timeout');
    change('stop timeout', `${current.stopTimeoutSec ?? 10}s`, `${stop}s`);
    d.settings.stopTimeoutSec = stop;
  }
  if (i.drainTimeout !== undefined) {
    const drain = parseInput(drainTimeoutSchema, i.drainTimeout, 'drain timeout');
    change('drain timeout', `${current.drainTimeoutSec ?? DEFAULT_DRAIN_TIMEOUT_SEC}s`, `${drain}s`);
    d.settings.drainTimeoutSec = drain;
  }
  if (i.restart !== undefined) {
    const restart = parseInput(restartSchema, i.restart, 'restart');
    change('restart', current.restart ?? 'unless-stopped', restart);
    d.settings.restart = restart;
  }
  if (i.volumes !== undefined) {
    const volumes: VolumeSpec[] = parseInput(volumeListSchema, i.volumes, 'volume');
    change('volumes', (current.volumes ?? []).map(volumeText).join(' '), volumes.map(volumeText).join(' '));
    d.settings.volumes = volumes;
  }
  if (i.releaseCommand !== undefined) {
    const cmd =
      i.releaseCommand === null ? undefined : parseInput(releaseCommandSchema, i.releaseCommand, 'release command');
    change('release command', current.releaseCommand, cmd);
    d.settings.releaseCommand = cmd;
  }
  if (i.preBackupHook !== undefined) {
    const hook =
      i.preBackupHook === null ? undefined : parseInput(releaseCommandSchema, i.preBackupHook, 'pre-backup hook');
    change('pre-backup hook', current.preBackupHook, hook);
    d.settings.preBackupHook = hook;
  }
  draftGitAccess(app, d, i, change);
  if (i.domains !== undefined) {
    d.domains = parseInput(domainListSchema, i.domains, 'domain');
    change('domains', domains.join(' '), d.domains.join(' '));
    d.routesChange = d.domains.join(' ') !== domains.join(' ');
  }
  if (i.wwwRedirect !== undefined) {
    change('www redirect', current.wwwRedirect ? 'on' : 'off', i.wwwRedirect ? 'on' : 'off');
    if (Boolean(current.wwwRedirect) !== i.wwwRedirect) d.routesChange = true;
    d.settings.wwwRedirect = i.wwwRedirect || undefined;
  }
  return d;
}

function draftGitAccess(
  app: AppRow,
  d: AppUpdateDraft,
  i: AppUpdateInput,
  change: (what: string, from: unknown, to: unknown) => void,
): void {
  if (i.gitHostKey === undefined && i.gitToken === undefined && i.gitUsername === undefined) return;
  if (app.app_type !== 'git') {
    throw new InfraktError('VALIDATION', `git access options are for git apps; '${app.name}' is a ${app.app_type} app`);
  }
  const remote = gitRemoteOf(d.row.git_repo ?? app.git_repo ?? '');
  const git = { ...d.settings.git };
  if (i.gitHostKey === null) {
    if (remote.kind !== 'ssh') throw new InfraktError('VALIDATION', '--git-host-key is for SSH git sources');
    delete git.hostKeys;
    delete git.hostKeyFingerprint;
    change('git host key', 'pinned', 'pinned again on the next fetch');
  } else if (i.gitHostKey !== undefined) {
    const { hostKey } = gitAccessInput(remote, { gitHostKey: i.gitHostKey });
    delete git.hostKeys;
    delete git.hostKeyFingerprint;
    Object.assign(git, hostKey);
    d.changed.push('git host key: pinned');
  }
  if (i.gitToken === null) {
    if (!git.token) throw new InfraktError('VALIDATION', `'${app.name}' has no git token to remove`);
    delete git.token;
    d.token = null;
    d.changed.push('git token: removed');
  } else if (i.gitToken !== undefined) {
    const username = i.gitUsername ?? git.token?.username;
    const a = gitAccessInput(remote, {
      gitToken: i.gitToken,
      ...(username !== undefined ? { gitUsername: username } : {}),
    });
    d.token = { value: a.token!, username: a.username };
    d.changed.push(`git token: set (user ${a.username})`);
  } else if (i.gitUsername !== undefined) {
    if (!git.token) throw new InfraktError('VALIDATION', '--git-username needs --git-token (no token is stored)');
    const username = parseInput(gitUsernameSchema, i.gitUsername, 'git username');
    change('git username', git.token.username, username);
    git.token = { ...git.token, username };
  }
  d.settings.git = git;
}
