import { describe, expect, it } from 'vitest';
import { chains, diffInventory } from '../../../src/core/inventory/diff.js';
import type {
  ActualState,
  AppSpec,
  AppState,
  DesiredState,
  LiveServer,
  ServerSpec,
  ServerState,
} from '../../../src/core/inventory/model.js';
import { proxySettingsSchema } from '../../../src/core/schemas/server.js';

const proxy = proxySettingsSchema.parse({});
const serverSpec = (name: string, extra: Partial<ServerSpec> = {}): ServerSpec => ({
  name,
  host: '203.0.113.10',
  user: 'root',
  port: 22,
  keyPath: '/k',
  root: '/opt/infrakt',
  labels: {},
  provision: false,
  proxy,
  pullPolicy: 'missing',
  ...extra,
});
const serverState = (name: string, extra: Partial<ServerState> = {}): ServerState => ({
  ...serverSpec(name),
  host: '203.0.113.10',
  fingerprint: 'SHA256:x',
  provider: null,
  provisioned: false,
  edge: null,
  ...extra,
});
const appSpec = (extra: Partial<AppSpec> = {}): AppSpec => ({
  name: 'api',
  server: 'web',
  source: { type: 'image', image: 'nginx:1' },
  port: 80,
  domains: ['api.example.com'],
  healthPath: '/',
  healthTimeoutMs: 60_000,
  envHashes: new Map([['A', 'h1']]),
  volumes: null,
  limits: null,
  ...extra,
});
const appState = (extra: Partial<AppState> = {}): AppState => ({
  ...appSpec(),
  envHashes: new Map([['A', 'h1']]),
  volumes: [],
  limits: { memory: null, cpus: null },
  status: 'running',
  currentRelease: 3,
  currentSourceRef: 'sha256:aaa',
  ...extra,
});
const live = (extra: Partial<LiveServer> = {}): LiveServer => ({
  reachable: true,
  apps: new Map([['api', { running: true, imageRef: 'sha256:aaa' }]]),
  databasesRunning: new Set(),
  proxyInSync: true,
  ...extra,
});
const desired = (d: Partial<DesiredState>): DesiredState => ({
  servers: [],
  apps: [],
  databases: [],
  routes: [],
  catalog: [],
  hosts: [],
  ...d,
});
const actual = (a: Partial<ActualState>): ActualState => ({
  servers: [],
  apps: [],
  databases: [],
  routes: [],
  catalog: [],
  hosts: [],
  live: new Map(),
  ...a,
});

describe('diffInventory', () => {
  it('matching file, state and live servers: no changes', () => {
    const p = diffInventory(
      desired({ servers: [serverSpec('web')], apps: [appSpec()] }),
      actual({ servers: [serverState('web')], apps: [appState()], live: new Map([['web', live()]]) }),
    );
    expect(p.changes).toEqual([]);
    expect(p.warnings).toEqual([]);
  });

  it('everything new is created, in dependency order: server → provision → database → app → route', () => {
    const p = diffInventory(
      desired({
        servers: [serverSpec('web', { provision: true })],
        apps: [appSpec()],
        databases: [{ name: 'db', server: 'web', type: 'redis', version: '7', backup: null }],
        routes: [{ server: 'web', domain: 'grafana.example.com', port: 3001 }],
      }),
      actual({}),
    );
    expect(p.changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual([
      'create server web',
      'create provision web',
      'create database db',
      'create app api',
      'create route grafana.example.com',
    ]);
    expect(p.changes.find((c) => c.kind === 'app')?.fields).toContainEqual({ field: 'env.A', to: '(set)' });
  });

  it('field by field updates, env as keys only (values never appear), removed keys need --prune', () => {
    const p = diffInventory(
      desired({
        servers: [serverSpec('web')],
        apps: [
          appSpec({
            source: { type: 'image', image: 'nginx:2' },
            envHashes: new Map([
              ['A', 'h2'],
              ['B', 'h3'],
            ]),
          }),
        ],
      }),
      actual({
        servers: [serverState('web')],
        apps: [
          appState({
            envHashes: new Map([
              ['A', 'h1'],
              ['OLD', 'h0'],
            ]),
          }),
        ],
      }),
    );
    expect(p.changes).toHaveLength(1);
    const c = p.changes[0]!;
    expect(c).toMatchObject({ action: 'update', kind: 'app', deploy: true, destructive: true, envRemoved: ['OLD'] });
    expect(c.fields).toEqual([
      { field: 'source', from: 'nginx:1', to: 'nginx:2' },
      { field: 'env.A', from: '(set)', to: '(changed)' },
      { field: 'env.B', to: '(set)' },
      { field: 'env.OLD', from: '(set)', to: '(removed with --prune)' },
    ]);
    expect(JSON.stringify(p)).not.toMatch(/h[0-3]/);
  });

  it('env not in the file is not managed: no env changes at all', () => {
    const p = diffInventory(
      desired({ servers: [serverSpec('web')], apps: [appSpec({ envHashes: null })] }),
      actual({ servers: [serverState('web')], apps: [appState({ envHashes: new Map([['X', 'h']]) })] }),
    );
    expect(p.changes).toEqual([]);
  });

  it('volumes and limits: compared when the file declares them, left alone when it does not', () => {
    const have = appState({ volumes: ['data:/data'], limits: { memory: '256m', cpus: 1 } });
    const plan = (want: Partial<AppSpec>) =>
      diffInventory(
        desired({ servers: [serverSpec('web')], apps: [appSpec(want)] }),
        actual({ servers: [serverState('web')], apps: [have], live: new Map([['web', live()]]) }),
      ).changes;
    expect(plan({})).toEqual([]);
    expect(plan({ volumes: ['data:/data'], limits: { memory: '256m', cpus: 1 } })).toEqual([]);
    const c = plan({ volumes: ['data:/data', './up:/up:ro'], limits: { memory: '512m', cpus: null } });
    expect(c).toHaveLength(1);
    expect(c[0]).toMatchObject({ action: 'update', deploy: true, destructive: false });
    expect(c[0]!.fields).toEqual([
      { field: 'volumes', from: 'data:/data', to: 'data:/data ./up:/up:ro' },
      { field: 'limits.memory', from: '256m', to: '512m' },
      { field: 'limits.cpus', from: '1', to: 'none' },
    ]);
    expect(plan({ volumes: [] })[0]!.fields).toEqual([{ field: 'volumes', from: 'data:/data', to: 'none' }]);
    // A new app lists what it will get.
    const created = diffInventory(
      desired({
        servers: [serverSpec('web')],
        apps: [appSpec({ volumes: ['data:/data'], limits: { memory: '64m', cpus: null } })],
      }),
      actual({ servers: [serverState('web')] }),
    ).changes[0]!;
    expect(created.fields).toContainEqual({ field: 'volumes', to: 'data:/data' });
    expect(created.fields).toContainEqual({ field: 'limits.memory', to: '64m' });
    expect(created.fields.map((f) => f.field)).not.toContain('limits.cpus');
  });

  it('live drift: a release that is not running, an image tag that moved, a Caddy config that differs', () => {
    const base = { servers: [serverState('web')], apps: [appState()] };
    const stopped = diffInventory(
      desired({ servers: [serverSpec('web')], apps: [appSpec()] }),
      actual({
        ...base,
        live: new Map([['web', live({ apps: new Map([['api', { running: false, imageRef: null }]]) })]]),
      }),
    );
    expect(stopped.changes[0]).toMatchObject({
      action: 'update',
      kind: 'app',
      deploy: true,
      notes: ['release 3 is not running on the server'],
    });
    const moved = diffInventory(
      desired({ servers: [serverSpec('web')], apps: [appSpec()] }),
      actual({
        ...base,
        live: new Map([['web', live({ apps: new Map([['api', { running: true, imageRef: 'sha256:bbb' }]]) })]]),
      }),
    );
    expect(moved.changes[0]?.notes[0]).toMatch(/^nginx:1 on the server is now sha256:bbb/);
    const caddy = diffInventory(
      desired({ servers: [serverSpec('web')], apps: [appSpec()] }),
      actual({ ...base, live: new Map([['web', live({ proxyInSync: false })]]) }),
    );
    expect(caddy.changes.map((c) => `${c.action} ${c.kind}`)).toEqual(['update proxy']);
  });

  it('an unreachable server is a warning, its live state not compared', () => {
    const p = diffInventory(
      desired({ servers: [serverSpec('web')], apps: [appSpec()] }),
      actual({
        servers: [serverState('web')],
        apps: [appState()],
        live: new Map([['web', live({ reachable: false, error: 'SSH_UNREACHABLE: refused', apps: new Map() })]]),
      }),
    );
    expect(p.changes).toEqual([]);
    expect(p.warnings).toEqual([
      'server web is unreachable: its live state was not compared (SSH_UNREACHABLE: refused)',
    ]);
  });

  it('what the file no longer declares is deleted (destructive), deletes last and in reverse order', () => {
    const p = diffInventory(
      desired({ servers: [serverSpec('web')] }),
      actual({
        servers: [
          serverState('web'),
          serverState('old', { provider: { name: 'hc', type: 'cx22', location: 'nbg1', image: 'debian-12' } }),
        ],
        apps: [appState()],
        databases: [{ name: 'db', server: 'web', type: 'redis', version: '7', backup: null, status: 'running' }],
        routes: [{ server: 'web', domain: 'r.example.com', port: 1 }],
      }),
    );
    expect(p.changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual([
      'delete server old',
      'delete route r.example.com',
      'delete app api',
      'delete database db',
    ]);
    expect(p.changes.every((c) => c.destructive)).toBe(true);
    expect(p.changes[0]?.notes).toEqual(['destroys the machine at the provider']);
  });

  it('replacements: a new app type, a database version, a provider server type', () => {
    const p = diffInventory(
      desired({
        servers: [
          serverSpec('web'),
          {
            ...serverSpec('cloud'),
            host: undefined,
            provider: { name: 'hc', type: 'cx32', location: 'nbg1', image: 'debian-12' },
          } as ServerSpec,
        ],
        apps: [appSpec({ source: { type: 'git', git: 'https://example.com/r.git', branch: 'main' } })],
        databases: [{ name: 'db', server: 'web', type: 'postgres', version: '16', backup: null }],
      }),
      actual({
        servers: [
          serverState('web'),
          serverState('cloud', { provider: { name: 'hc', type: 'cx22', location: 'nbg1', image: 'debian-12' } }),
        ],
        apps: [appState()],
        databases: [{ name: 'db', server: 'web', type: 'postgres', version: '15', backup: null, status: 'running' }],
      }),
    );
    expect(
      p.changes.map(
        (c) => `${c.action} ${c.kind} ${c.name} ${c.fields.map((f) => `${f.field}:${f.from}→${f.to}`).join(',')}`,
      ),
    ).toEqual([
      'replace server cloud type:cx22→cx32',
      'replace database db version:15→16',
      'replace app api type:image→git',
    ]);
  });

  it('chains: one per server, each in apply order', () => {
    const p = diffInventory(
      desired({ servers: [serverSpec('a'), serverSpec('b')], apps: [appSpec({ server: 'b' })] }),
      actual({}),
    );
    const c = chains(p.changes);
    expect([...c.keys()]).toEqual(['a', 'b']);
    expect(c.get('b')!.map((x) => x.kind)).toEqual(['server', 'app']);
  });
});
