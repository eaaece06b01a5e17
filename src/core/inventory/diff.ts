import type {
  ActualState,
  AppSpec,
  AppState,
  DatabaseSpec,
  DatabaseState,
  DesiredState,
  LiveServer,
  RouteSpec,
  ServerSpec,
  ServerState,
} from './model.js';

export type ChangeAction = 'create' | 'update' | 'replace' | 'delete';
/** In the order apply runs them on a server (deletes run after, in reverse). */
export const KIND_ORDER = ['server', 'provision', 'database', 'app', 'route', 'proxy'] as const;
export type ChangeKind = (typeof KIND_ORDER)[number];

export interface FieldChange {
  readonly field: string;
  readonly from?: string;
  readonly to?: string;
}

export interface Change {
  readonly action: ChangeAction;
  readonly kind: ChangeKind;
  /** Resource name (a route: its domain). */
  readonly name: string;
  /** The server whose chain runs it. */
  readonly server: string;
  readonly fields: readonly FieldChange[];
  /** Why, for changes the file did not ask for (drift found on the live server). */
  readonly notes: readonly string[];
  /** Deletes something (delete, replace, env keys removed): applied only with --prune. */
  readonly destructive: boolean;
  /** Apps: a deploy is part of this change. */
  readonly deploy?: boolean;
  /** Apps: env keys in the state but not in the file (removed only with --prune). */
  readonly envRemoved?: readonly string[];
}

export interface Plan {
  readonly changes: readonly Change[];
  /** Problems that are not changes (an unreachable server: its live state was not compared). */
  readonly warnings: readonly string[];
}

const str = (v: unknown): string =>
  v === null || v === undefined ? '-' : Array.isArray(v) ? v.join(', ') || '-' : String(v);

function fields(pairs: readonly [string, unknown, unknown][]): FieldChange[] {
  return pairs
    .filter(([, a, b]) => str(a) !== str(b))
    .map(([field, from, to]) => ({ field, from: str(from), to: str(to) }));
}

const change = (c: Omit<Change, 'notes' | 'destructive'> & Partial<Pick<Change, 'notes' | 'destructive'>>): Change => ({
  notes: [],
  destructive: c.action === 'delete' || c.action === 'replace',
  ...c,
});

function diffServer(want: ServerSpec, have: ServerState | undefined): Change[] {
  if (!have) {
    const where = want.provider
      ? [
          { field: 'provider', to: want.provider.name },
          { field: 'type', to: want.provider.type },
          { field: 'location', to: want.provider.location },
          { field: 'image', to: want.provider.image },
        ]
      : [{ field: 'host', to: `${want.user}@${want.host}:${want.port}` }];
    return [change({ action: 'create', kind: 'server', name: want.name, server: want.name, fields: where })];
  }
  const out: Change[] = [];
  if (want.provider) {
    const cloud = fields([
      ['provider', have.provider?.name, want.provider.name],
      ['type', have.provider?.type, want.provider.type],
      ['location', have.provider?.location, want.provider.location],
      ['image', have.provider?.image, want.provider.image],
    ]);
    if (cloud.length) {
      out.push(
        change({
          action: 'replace',
          kind: 'server',
          name: want.name,
          server: want.name,
          fields: cloud,
          notes: ['a provider server is created anew for these (destroying the current one)'],
        }),
      );
      return out;
    }
  }
  const f = fields([
    ...(want.host !== undefined ? ([['host', have.host, want.host]] as [string, unknown, unknown][]) : []),
    ['user', have.user, want.user],
    ['port', have.port, want.port],
    ['key', have.keyPath, want.keyPath],
    ['root', have.root, want.root],
    ...(want.fingerprint
      ? ([['fingerprint', have.fingerprint, want.fingerprint]] as [string, unknown, unknown][])
      : []),
    ['labels', labelText(have.labels), labelText(want.labels)],
    ['proxy.tls', have.proxy.tls, want.proxy.tls],
    ['proxy.httpPort', have.proxy.httpPort, want.proxy.httpPort],
    ['proxy.httpsPort', have.proxy.httpsPort, want.proxy.httpsPort],
    ['proxy.adminAddress', have.proxy.adminAddress, want.proxy.adminAddress],
    ['pullPolicy', have.pullPolicy, want.pullPolicy],
  ]);
  if (f.length) out.push(change({ action: 'update', kind: 'server', name: want.name, server: want.name, fields: f }));
  return out;
}

const labelText = (l: Readonly<Record<string, string>>) =>
  Object.entries(l)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

const sourceText = (s: AppSpec['source']) =>
  s.type === 'image'
    ? s.image
    : s.type === 'git'
      ? `${s.git}#${s.branch}`
      : `compose sha256:${s.composeSha.slice(0, 12)}`;

function envFields(want: AppSpec, have: AppState | undefined): { fields: FieldChange[]; removed: string[] } {
  if (!want.envHashes) return { fields: [], removed: [] };
  const before = have?.envHashes ?? new Map<string, string>();
  const out: FieldChange[] = [];
  for (const [k, h] of want.envHashes) {
    if (!before.has(k)) out.push({ field: `env.${k}`, to: '(set)' });
    else if (before.get(k) !== h) out.push({ field: `env.${k}`, from: '(set)', to: '(changed)' });
  }
  const removed = [...before.keys()].filter((k) => !want.envHashes!.has(k));
  for (const k of removed) out.push({ field: `env.${k}`, from: '(set)', to: '(removed with --prune)' });
  return { fields: out, removed };
}

function diffApp(want: AppSpec, have: AppState | undefined, live: LiveServer | undefined): Change[] {
  const env = envFields(want, have);
  if (!have) {
    return [
      change({
        action: 'create',
        kind: 'app',
        name: want.name,
        server: want.server,
        fields: [
          { field: 'source', to: sourceText(want.source) },
          { field: 'port', to: String(want.port) },
          ...(want.domains.length ? [{ field: 'domains', to: want.domains.join(', ') }] : []),
          ...env.fields,
        ],
        deploy: true,
      }),
    ];
  }
  if (have.source.type !== want.source.type) {
    return [
      change({
        action: 'replace',
        kind: 'app',
        name: want.name,
        server: want.server,
        fields: fields([['type', have.source.type, want.source.type]]),
        notes: ['destroys the app (containers, volumes, route) and creates it again'],
        deploy: true,
      }),
    ];
  }
  const f = [
    ...fields([
      ['source', sourceText(have.source), sourceText(want.source)],
      ['port', have.port, want.port],
      ['domains', have.domains, want.domains],
      ['health.path', have.healthPath, want.healthPath],
      ['health.timeout', `${have.healthTimeoutMs / 1000}s`, `${want.healthTimeoutMs / 1000}s`],
    ]),
    ...env.fields,
  ];
  const notes: string[] = [];
  if (have.currentRelease === null) notes.push('never deployed');
  else if (have.status !== 'running') notes.push(`status is ${have.status}`);
  const l = live?.reachable ? live.apps.get(want.name) : undefined;
  if (live?.reachable && have.currentRelease !== null && have.status === 'running') {
    if (!l?.running) notes.push(`release ${have.currentRelease} is not running on the server`);
    else if (
      want.source.type === 'image' &&
      l.imageRef &&
      have.currentSourceRef &&
      l.imageRef !== have.currentSourceRef
    )
      notes.push(
        `${want.source.image} on the server is now ${l.imageRef.slice(0, 19)}…, release ${have.currentRelease} runs ${have.currentSourceRef.slice(0, 19)}…`,
      );
  }
  const deploys = f.some((x) => !(x.field.startsWith('env.') && x.to === '(removed with --prune)')) || notes.length > 0;
  if (!deploys && env.removed.length === 0) return [];
  return [
    change({
      action: 'update',
      kind: 'app',
      name: want.name,
      server: want.server,
      fields: f,
      notes,
      deploy: deploys,
      destructive: env.removed.length > 0,
      envRemoved: env.removed,
    }),
  ];
}

function diffDatabase(want: DatabaseSpec, have: DatabaseState | undefined, live: LiveServer | undefined): Change[] {
  const backupText = (b: DatabaseSpec['backup']) => (b ? `${b.schedule} keep ${b.keep}` : 'none');
  if (!have) {
    return [
      change({
        action: 'create',
        kind: 'database',
        name: want.name,
        server: want.server,
        fields: [
          { field: 'type', to: `${want.type} ${want.version}` },
          ...(want.secret ? [{ field: 'secret', to: want.secret }] : []),
          ...(want.backup ? [{ field: 'backup', to: backupText(want.backup) }] : []),
        ],
      }),
    ];
  }
  const identity = fields([
    ['type', have.type, want.type],
    ['version', have.version, want.version],
  ]);
  if (identity.length) {
    return [
      change({
        action: 'replace',
        kind: 'database',
        name: want.name,
        server: want.server,
        fields: identity,
        notes: ['destroys the database and its data volume (backups are kept), then creates it empty'],
      }),
    ];
  }
  const f = fields([['backup', backupText(have.backup), backupText(want.backup)]]);
  const notes: string[] = [];
  if (live?.reachable && have.status === 'running' && !live.databasesRunning.has(want.name))
    notes.push('its containers are not running on the server');
  if (!f.length && !notes.length) return [];
  return [change({ action: 'update', kind: 'database', name: want.name, server: want.server, fields: f, notes })];
}

const onServer = (r: { server: string; name: string }) => `${r.server}\0${r.name}`;
const routeKey = (r: Pick<RouteSpec, 'server' | 'domain'>) => `${r.server}\0${r.domain}`;

/**
 * Compares the file with the local state and what the live servers say. Pure. Everything in the state that
 * the file does not declare becomes a delete (applied only with --prune).
 */
export function diffInventory(desired: DesiredState, actual: ActualState): Plan {
  const changes: Change[] = [];
  const warnings: string[] = [];
  const haveServers = new Map(actual.servers.map((s) => [s.name, s]));
  const wantServers = new Set(desired.servers.map((s) => s.name));
  for (const s of desired.servers) changes.push(...diffServer(s, haveServers.get(s.name)));
  for (const [name, live] of actual.live) {
    if (!live.reachable)
      warnings.push(`server ${name} is unreachable: its live state was not compared (${live.error ?? 'no answer'})`);
  }
  for (const s of desired.servers) {
    const have = haveServers.get(s.name);
    if (s.provision && !have?.provisioned)
      changes.push(change({ action: 'create', kind: 'provision', name: s.name, server: s.name, fields: [] }));
  }

  // Apps and databases are named per server: one moved to another server is created there and deleted here.
  const haveDbs = new Map(actual.databases.map((d) => [onServer(d), d]));
  for (const d of desired.databases)
    changes.push(...diffDatabase(d, haveDbs.get(onServer(d)), actual.live.get(d.server)));
  const wantDbs = new Set(desired.databases.map(onServer));
  for (const d of actual.databases) {
    if (!wantDbs.has(onServer(d)))
      changes.push(
        change({
          action: 'delete',
          kind: 'database',
          name: d.name,
          server: d.server,
          fields: [],
          notes: ['deletes its data volume (backups are kept)'],
        }),
      );
  }

  const haveApps = new Map(actual.apps.map((a) => [onServer(a), a]));
  for (const a of desired.apps) changes.push(...diffApp(a, haveApps.get(onServer(a)), actual.live.get(a.server)));
  const wantApps = new Set(desired.apps.map(onServer));
  for (const a of actual.apps) {
    if (!wantApps.has(onServer(a)))
      changes.push(change({ action: 'delete', kind: 'app', name: a.name, server: a.server, fields: [] }));
  }

  const haveRoutes = new Map(actual.routes.map((r) => [routeKey(r), r]));
  const wantRoutes = new Set(desired.routes.map(routeKey));
  for (const r of desired.routes) {
    const have = haveRoutes.get(routeKey(r));
    if (!have)
      changes.push(
        change({
          action: 'create',
          kind: 'route',
          name: r.domain,
          server: r.server,
          fields: [{ field: 'port', to: String(r.port) }],
        }),
      );
    else if (have.port !== r.port)
      changes.push(
        change({
          action: 'update',
          kind: 'route',
          name: r.domain,
          server: r.server,
          fields: fields([['port', have.port, r.port]]),
        }),
      );
  }
  for (const r of actual.routes) {
    if (!wantRoutes.has(routeKey(r)))
      changes.push(change({ action: 'delete', kind: 'route', name: r.domain, server: r.server, fields: [] }));
  }

  for (const [name, live] of actual.live) {
    if (live.reachable && !live.proxyInSync && wantServers.has(name)) {
      changes.push(
        change({
          action: 'update',
          kind: 'proxy',
          name,
          server: name,
          fields: [],
          notes: ["the server's Caddy config differs from the one infrakt renders"],
        }),
      );
    }
  }
  for (const s of actual.servers) {
    if (!wantServers.has(s.name)) {
      const notes = s.provider
        ? ['destroys the machine at the provider']
        : ['forgets it locally (nothing on the server changes)'];
      changes.push(change({ action: 'delete', kind: 'server', name: s.name, server: s.name, fields: [], notes }));
    }
  }
  return { changes: orderChanges(changes), warnings };
}

const rank = (c: Change) => KIND_ORDER.indexOf(c.kind);

/** Apply order: per server, creates/updates by kind (servers → provision → databases → apps → routes), then deletes in reverse. */
export function orderChanges(changes: readonly Change[]): Change[] {
  return [...changes].sort((a, b) => {
    if (a.server !== b.server) return a.server.localeCompare(b.server);
    const da = a.action === 'delete' ? 1 : 0;
    const db = b.action === 'delete' ? 1 : 0;
    if (da !== db) return da - db;
    return da ? rank(b) - rank(a) : rank(a) - rank(b) || a.name.localeCompare(b.name);
  });
}

/** Changes grouped into one chain per server, each in apply order (chains run in parallel). */
export function chains(changes: readonly Change[]): Map<string, Change[]> {
  const out = new Map<string, Change[]>();
  for (const c of orderChanges(changes)) out.set(c.server, [...(out.get(c.server) ?? []), c]);
  return out;
}
