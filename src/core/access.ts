import { InfraktError } from './errors.js';

/**
 * Who may do what. Three levels, each including the ones before: `read` (look), `deploy` (deploy, restart, roll back,
 * edit env of the apps in scope), `admin` (everything: servers, provisioning, databases, users, tokens, policies).
 * User roles and token scopes map onto them; the owner (the API key, the local CLI) is an admin of everything.
 */
export const LEVELS = ['read', 'deploy', 'admin'] as const;
export type Level = (typeof LEVELS)[number];

export const ROLES = ['viewer', 'deployer', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const ROLE_LEVEL: Readonly<Record<Role, Level>> = { viewer: 'read', deployer: 'deploy', admin: 'admin' };

export const TOKEN_SCOPES = LEVELS;
export type TokenScope = Level;

/** `owner`: the API key; `cli`: the local CLI user; `user`: a dashboard/API user; `token`: a scoped API token. */
export const PRINCIPAL_KINDS = ['owner', 'cli', 'user', 'token', 'mcp', 'system', 'anonymous'] as const;
export type PrincipalKind = (typeof PRINCIPAL_KINDS)[number];

export interface Principal {
  readonly kind: PrincipalKind;
  /** Stable identity, e.g. `user:alice`, `token:ci`, `owner`, `cli:alice@laptop` (self-approval, audit). */
  readonly id: string;
  /** For people: `alice`, `token ci`, `owner key`. */
  readonly name: string;
  readonly level: Level;
  /** Servers it is limited to; null: every server. */
  readonly servers: readonly string[] | null;
  /** Apps it is limited to (a token made with --app); null: every app. */
  readonly apps: readonly string[] | null;
}

const RANK: Readonly<Record<Level, number>> = { read: 0, deploy: 1, admin: 2 };

export const atLeast = (have: Level, need: Level): boolean => RANK[have] >= RANK[need];

/** The principal of whoever runs infrakt on this machine, or holds the owner API key: no limits. */
export function ownerPrincipal(kind: 'owner' | 'cli' | 'system' = 'owner', who?: string): Principal {
  const id = kind === 'owner' ? 'owner' : `${kind}:${who ?? 'local'}`;
  const name = kind === 'owner' ? 'owner key' : (who ?? kind);
  return { kind, id, name, level: 'admin', servers: null, apps: null };
}

/** Whoever calls a public route (sign-in): may read nothing, act on nothing. */
export const anonymousPrincipal = (): Principal => ({
  kind: 'anonymous',
  id: 'anonymous',
  name: 'anonymous',
  level: 'read',
  servers: [],
  apps: [],
});

export const isUnlimited = (p: Principal): boolean => p.servers === null && p.apps === null;

/** Whether the principal may touch this target: a server, or an app (with its server). */
export function inScope(p: Principal, target: { server?: string | undefined; app?: string | undefined }): boolean {
  if (p.servers && (target.server === undefined || !p.servers.includes(target.server))) return false;
  if (p.apps && (target.app === undefined || !p.apps.includes(target.app))) return false;
  return true;
}

export function levelError(p: Principal, need: Level, what: string): InfraktError {
  return new InfraktError('FORBIDDEN', `${p.name} may not ${what}: it needs ${need} access (has ${p.level})`, {
    hint:
      p.kind === 'token'
        ? `create a token with --scope ${need} (infrakt token create), or ask an admin`
        : `ask an admin for the ${need === 'read' ? 'viewer' : need === 'deploy' ? 'deployer' : 'admin'} role`,
    details: { need, have: p.level },
  });
}

export function scopeError(p: Principal, target: { server?: string | undefined; app?: string | undefined }) {
  const what = target.app
    ? `app ${target.app}${target.server ? ` on ${target.server}` : ''}`
    : `server ${target.server}`;
  const limits = [p.servers ? `servers ${p.servers.join(', ')}` : '', p.apps ? `apps ${p.apps.join(', ')}` : '']
    .filter(Boolean)
    .join('; ');
  return new InfraktError('FORBIDDEN', `${p.name} may not act on ${what}: it is limited to ${limits}`, {
    hint: 'ask an admin to widen the scope, or use another account',
    details: { scope: { servers: p.servers, apps: p.apps } },
  });
}
