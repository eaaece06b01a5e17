// Catalog installs in infrakt.yaml: the desired state checked against a real catalog folder (errors located in
// the file), and the diff against installed apps (create / update / replace / delete, secret inputs as keys).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isInfraktError } from '../../../src/core/errors.js';
import { diffInventory } from '../../../src/core/inventory/diff.js';
import { parseInventory } from '../../../src/core/inventory/load.js';
import type {
  ActualState,
  CatalogInputValue,
  CatalogSpec,
  CatalogState,
  DesiredState,
  LiveServer,
} from '../../../src/core/inventory/model.js';
import { buildDesired } from '../../../src/services/inventory/desired.js';
import { hashValue } from '../../../src/services/inventory/hash.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/catalog');
const plain = (v: string): CatalogInputValue => ({ secret: false, shown: v, hash: hashValue(v) });
const secret = (v: string): CatalogInputValue => ({ secret: true, shown: null, hash: hashValue(v) });

const spec = (extra: Partial<CatalogSpec> = {}): CatalogSpec => ({
  name: 'shop',
  server: 'web',
  entry: 'webapp',
  version: '2',
  pinned: true,
  domain: 'shop.example.com',
  inputs: new Map([['greeting', plain('hi')]]),
  ...extra,
});
const state = (extra: Partial<CatalogState> = {}): CatalogState => ({
  name: 'shop',
  server: 'web',
  entry: 'webapp',
  version: '2',
  domain: 'shop.example.com',
  inputs: new Map([
    ['greeting', plain('hi')],
    ['cache_password', secret('pw-installed')],
  ]),
  status: 'running',
  currentRelease: 4,
  ...extra,
});
const live = (running: boolean): LiveServer => ({
  reachable: true,
  apps: new Map([['shop', { running, imageRef: null }]]),
  databasesRunning: new Set(),
  proxyInSync: true,
});
const desired = (catalog: CatalogSpec[]): DesiredState => ({
  servers: [],
  apps: [],
  databases: [],
  routes: [],
  catalog,
  hosts: [],
});
const actual = (catalog: CatalogState[], l?: LiveServer): ActualState => ({
  servers: [],
  apps: [],
  databases: [],
  routes: [],
  catalog,
  hosts: [],
  live: new Map(l ? [['web', l]] : []),
});
const lines = (d: DesiredState, a: ActualState) =>
  diffInventory(d, a).changes.map((c) => ({
    line: `${c.action} ${c.kind} ${c.name}`,
    fields: c.fields,
    destructive: c.destructive,
    notes: c.notes,
  }));

describe('diff of catalog installs', () => {
  it('installed as the file says (and running): no changes', () => {
    expect(diffInventory(desired([spec()]), actual([state()], live(true))).changes).toEqual([]);
  });

  it('not installed: create, with entry, version, domain and inputs (secret ones as keys only)', () => {
    const [c] = lines(desired([spec({ inputs: new Map([['cache_password', secret('s3cr3t-value')]]) })]), actual([]));
    expect(c).toMatchObject({ line: 'create catalog shop', destructive: false });
    expect(c!.fields).toEqual([
      { field: 'entry', to: 'webapp 2' },
      { field: 'domain', to: 'shop.example.com' },
      { field: 'inputs.cache_password', to: '(set)' },
    ]);
    expect(JSON.stringify(c)).not.toContain('s3cr3t');
  });

  it('a pinned version that differs is an update; an unpinned one leaves the installed version alone', () => {
    const [up] = lines(desired([spec({ version: '3' })]), actual([state()]));
    expect(up).toMatchObject({ line: 'update catalog shop', destructive: false });
    expect(up!.fields).toEqual([{ field: 'version', from: '2', to: '3' }]);
    expect(lines(desired([spec({ version: '3', pinned: false })]), actual([state()]))).toEqual([]);
  });

  it('given inputs that differ are updates: plain values shown, secret ones never; inputs not given are kept', () => {
    const [c] = lines(
      desired([
        spec({
          inputs: new Map([
            ['greeting', plain('bonjour')],
            ['cache_password', secret('pw-rotated')],
          ]),
        }),
      ]),
      actual([state()]),
    );
    expect(c!.fields).toEqual([
      { field: 'inputs.greeting', from: 'hi', to: 'bonjour' },
      { field: 'inputs.cache_password', from: '(set)', to: '(changed)' },
    ]);
    expect(JSON.stringify(c)).not.toContain('pw-');
  });

  it('a domain change is an update (the upgrade re-renders and routes it); so is a dropped domain', () => {
    expect(lines(desired([spec({ domain: 'new.example.com' })]), actual([state()]))[0]!.fields).toEqual([
      { field: 'domain', from: 'shop.example.com', to: 'new.example.com' },
    ]);
    expect(lines(desired([spec({ domain: null })]), actual([state()]))[0]!.fields).toEqual([
      { field: 'domain', from: 'shop.example.com', to: '-' },
    ]);
  });

  it('another entry under the same name is a destructive replace; an install not in the file a delete', () => {
    const [r] = lines(desired([spec({ entry: 'other', version: '1' })]), actual([state()]));
    expect(r).toMatchObject({ line: 'replace catalog shop', destructive: true });
    expect(r!.fields).toEqual([{ field: 'entry', from: 'webapp 2', to: 'other 1' }]);
    const [d] = lines(desired([]), actual([state()]));
    expect(d).toMatchObject({ line: 'delete catalog shop', destructive: true });
  });

  it('a release that is not running on the live server is redeployed', () => {
    const [c] = lines(desired([spec()]), actual([state()], live(false)));
    expect(c).toMatchObject({
      line: 'update catalog shop',
      fields: [],
      notes: ['release 4 is not running on the server'],
    });
  });

  it('runs after the apps of its server, before routes; deletes in reverse', () => {
    const d: DesiredState = {
      ...desired([spec()]),
      apps: [
        {
          name: 'api',
          server: 'web',
          source: { type: 'image', image: 'nginx:1' },
          port: 80,
          domains: [],
          healthPath: '/',
          healthTimeoutMs: 60_000,
          envHashes: null,
          volumes: null,
          limits: null,
        },
      ],
      routes: [{ server: 'web', domain: 'static.example.com', port: 9 }],
    };
    expect(diffInventory(d, actual([])).changes.map((c) => c.kind)).toEqual(['app', 'catalog', 'route']);
  });
});

const BASE = `version: 1
servers:
  web-1:
    host: 203.0.113.10
apps:
  api:
    server: web-1
    image: nginx:alpine
    domains: [api.example.com]
catalog:
  shop:
    server: web-1
    entry: webapp
`;

const build = (text: string, secrets: Record<string, string> = {}) =>
  buildDesired(parseInventory('infrakt.yaml', text), new Set(Object.keys(secrets)), {
    catalogDirs: [FIXTURES],
    secretValues: new Map(Object.entries(secrets)),
  });
const fails = (text: string, secrets: Record<string, string> = {}) => {
  try {
    build(text, secrets);
  } catch (e) {
    if (isInfraktError(e)) return `${e.code} ${e.message}`;
    throw e;
  }
  return 'ok';
};

// Each build reads the built-in catalog and the fixtures (every manifest validated): slow on a busy machine.
describe('catalog: in infrakt.yaml', { timeout: 30_000 }, () => {
  it('becomes a spec: newest version unless pinned, inputs normalised by their type and hashed', () => {
    const newest = build(BASE).state.catalog[0]!;
    expect(newest).toMatchObject({ name: 'shop', server: 'web-1', entry: 'webapp', version: '3', pinned: false });
    const d = build(
      `${BASE}    version: 1\n    domain: shop.example.com\n    inputs:\n      greeting: hey\n      advanced: yes\n      admin_email: a@example.com\n      cache_password: secret:shop-pw\n`,
      {
        'shop-pw': 'pw-from-secret-123',
      },
    );
    const c = d.state.catalog[0]!;
    expect(c).toMatchObject({ version: '1', pinned: true, domain: 'shop.example.com' });
    expect(c.inputs.get('advanced')).toEqual({ secret: false, shown: 'true', hash: hashValue('true') });
    expect(c.inputs.get('cache_password')).toEqual({
      secret: true,
      shown: null,
      hash: hashValue('pw-from-secret-123'),
    });
    // Apply gets the file's values as written (the reference, not the secret).
    expect(d.extras.catalogInputs.get('web-1/shop')).toMatchObject({ cache_password: 'secret:shop-pw' });
    expect(d.extras.catalogDirs).toEqual([FIXTURES]);
  });

  it('errors name the file, line and field', () => {
    expect(fails(BASE.replace('entry: webapp', 'entry: nope'))).toBe(
      "VALIDATION infrakt.yaml:13:12: catalog.shop.entry: catalog entry 'nope' not found",
    );
    expect(fails(`${BASE}    version: 9\n`)).toMatch(
      /^VALIDATION infrakt\.yaml:14:14: catalog\.shop\.version: catalog entry 'webapp' has no version 9/,
    );
    expect(fails(`${BASE}    inputs:\n      colour: red\n`)).toMatch(
      /^VALIDATION infrakt\.yaml:15:15: catalog\.shop\.inputs\.colour: webapp 3 has no input 'colour'/,
    );
    expect(fails(`${BASE}    inputs:\n      advanced: true\n      admin_email: nope\n`)).toMatch(
      /catalog\.shop\.inputs\.admin_email: input 'admin_email' must be an email address/,
    );
    expect(fails(`${BASE}    inputs:\n      metrics_port: 9200\n`)).toMatch(
      /catalog\.shop\.inputs\.metrics_port: input 'metrics_port' is hidden by its conditions \(advanced=true\)/,
    );
    expect(fails(`${BASE}    inputs:\n      cache_password: secret:missing\n`)).toMatch(
      /catalog\.shop\.inputs\.cache_password: secret 'missing' does not exist/,
    );
    expect(fails(BASE.replace('server: web-1\n    entry', 'server: web-9\n    entry'))).toMatch(
      /catalog\.shop\.server: no server 'web-9' in this file/,
    );
    expect(fails(`${BASE.replace('entry: webapp', 'entry: hostcodes')}    domain: x.example.com\n`)).toMatch(
      /catalog\.shop\.domain: hostcodes is a host entry \(an installer run on the server\): it takes no domain/,
    );
    expect(fails(BASE.replace('  shop:', '  api:'))).toMatch(/catalog\.api: 'api' is also an app on web-1/);
    expect(fails(`${BASE}    domain: api.example.com\n`)).toMatch(
      /catalog\.shop\.domain: api\.example\.com is already routed to app api on web-1/,
    );
  });

  it('a secret value is never part of an error', () => {
    const msg = fails(`${BASE}    inputs:\n      advanced: true\n      admin_email: secret:mail\n`, {
      mail: 'not-an-email-XYZ',
    });
    expect(msg).toMatch(/secret 'mail' must be an email address/);
    expect(msg).not.toContain('XYZ');
  });
});

describe('a name that changes sides', () => {
  const plainApp = {
    name: 'shop',
    server: 'web',
    source: { type: 'compose' as const, composeSha: 'abc' },
    port: 3000,
    domains: [],
    healthPath: '/',
    healthTimeoutMs: 60_000,
  };
  it('a plain app that becomes a catalog install is one destructive replace (no create that would clash)', () => {
    const a: ActualState = {
      ...actual([]),
      apps: [
        {
          ...plainApp,
          envHashes: new Map(),
          volumes: [],
          limits: { memory: null, cpus: null },
          status: 'running',
          currentRelease: 1,
          currentSourceRef: null,
        },
      ],
    };
    expect(lines(desired([spec()]), a)).toEqual([
      {
        line: 'replace catalog shop',
        fields: [{ field: 'entry', from: 'compose app', to: 'webapp 2' }],
        destructive: true,
        notes: ['destroys the app (containers, volumes, route) and creates it again as declared'],
      },
    ]);
  });
  it('and back', () => {
    const d: DesiredState = { ...desired([]), apps: [{ ...plainApp, envHashes: null, volumes: null, limits: null }] };
    expect(lines(d, actual([state()])).map((c) => [c.line, c.fields])).toEqual([
      ['replace app shop', [{ field: 'type', from: 'catalog webapp 2', to: 'compose' }]],
    ]);
  });
});
