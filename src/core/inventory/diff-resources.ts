import { type Change, change, type FieldChange, fields } from './change.js';
import type { AppSpec, AppState, DatabaseSpec, DatabaseState, LiveServer, ServerSpec, ServerState } from './model.js';

/** Per resource: what the file wants against what the state (and the live server) has. Pure. */
export function diffServer(want: ServerSpec, have: ServerState | undefined): Change[] {
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
  // An edge server's host and port are its allocated tunnel (127.0.0.1:PORT), not something a file sets.
  const edge = want.edge !== undefined;
  const f = fields([
    ...(want.host !== undefined ? ([['host', have.host, want.host]] as [string, unknown, unknown][]) : []),
    ['user', have.user, want.user],
    ...(edge ? [] : ([['port', have.port, want.port]] as [string, unknown, unknown][])),
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

const volumesText = (v: readonly string[]) => (v.length ? v.join(' ') : 'none');
const limitText = (v: string | number | null) => (v === null ? 'none' : String(v));

/** Volumes and limits, compared only when the file manages them (like env). */
function settingsFields(want: AppSpec, have: AppState | undefined): FieldChange[] {
  const pairs: [string, string | undefined, string][] = [];
  if (want.volumes) pairs.push(['volumes', have && volumesText(have.volumes), volumesText(want.volumes)]);
  if (want.limits) {
    pairs.push(['limits.memory', have && limitText(have.limits.memory), limitText(want.limits.memory)]);
    pairs.push(['limits.cpus', have && limitText(have.limits.cpus), limitText(want.limits.cpus)]);
  }
  if (!have) return pairs.filter(([, , to]) => to !== 'none').map(([field, , to]) => ({ field, to }));
  return fields(pairs);
}

export function diffApp(want: AppSpec, have: AppState | undefined, live: LiveServer | undefined): Change[] {
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
          ...settingsFields(want, undefined),
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
    ...settingsFields(want, have),
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

export function diffDatabase(
  want: DatabaseSpec,
  have: DatabaseState | undefined,
  live: LiveServer | undefined,
): Change[] {
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
