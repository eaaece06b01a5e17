// Host entries of the catalog in infrakt.yaml: the desired state from the file (checked against the fixtures
// catalog, errors at their line) and the diff against the records of past runs and what check.sh says.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isInfraktError } from '../../../src/core/errors.js';
import { diffHosts } from '../../../src/core/inventory/diff-host.js';
import { parseInventory } from '../../../src/core/inventory/load.js';
import type {
  CatalogInputValue,
  HostInstallSpec,
  HostInstallState,
  LiveServer,
} from '../../../src/core/inventory/model.js';
import { buildDesired } from '../../../src/services/inventory/desired.js';
import { hashValue } from '../../../src/services/inventory/hash.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/catalog');
const plain = (v: string): CatalogInputValue => ({ secret: false, shown: v, hash: hashValue(v) });
const secret = (v: string): CatalogInputValue => ({ secret: true, shown: null, hash: hashValue(v) });

const spec = (extra: Partial<HostInstallSpec> = {}): HostInstallSpec => ({
  name: 'conf',
  server: 'web',
  entry: 'hostconf',
  version: '1',
  pinned: false,
  inputs: new Map([
    ['content', plain('first')],
    ['token', secret('t1')],
  ]),
  ...extra,
});
const state = (extra: Partial<HostInstallState> = {}): HostInstallState => ({
  server: 'web',
  entry: 'hostconf',
  version: '1',
  status: 'installed',
  inputs: new Map([
    ['marker', plain('m')],
    ['content', plain('first')],
    ['token', secret('t1')],
  ]),
  uninstallable: true,
  ...extra,
});
const checked = (inPlace: boolean): Map<string, LiveServer> =>
  new Map([
    [
      'web',
      {
        reachable: true,
        apps: new Map(),
        databasesRunning: new Set(),
        proxyInSync: true,
        hostChecks: new Map([['hostconf', inPlace]]),
      },
    ],
  ]);
const line = (r: ReturnType<typeof diffHosts>) =>
  r.changes.map(
    (c) =>
      `${c.action} ${c.kind} ${c.name}: ${c.fields.map((f) => `${f.field} ${f.from ?? ''}>${f.to ?? ''}`).join(', ')} | ${c.notes.join('; ')}${c.destructive ? ' (prune)' : ''}`,
  );

describe('host entries: diff', () => {
  it('creates what has no record (secret inputs as (set)); check.sh in place is said', () => {
    expect(line(diffHosts([spec()], [], new Map()))).toEqual([
      'create host-entry conf: entry >hostconf 1, inputs.content >first, inputs.token >(set) | ',
    ]);
    expect(line(diffHosts([spec()], [], checked(true)))[0]).toContain(
      'check.sh: already in place on the server (apply records it, installs nothing)',
    );
  });

  it('is unchanged when the given inputs hash alike and check.sh passes', () => {
    expect(diffHosts([spec()], [state()], checked(true))).toEqual({ changes: [], warnings: [] });
    expect(diffHosts([spec({ pinned: false, version: '2' })], [state()], new Map()).changes).toEqual([]);
  });

  it('reinstalls on a changed input (secret as (changed)) or pinned version', () => {
    const changed = spec({
      inputs: new Map([
        ['content', plain('second')],
        ['token', secret('t2')],
      ]),
    });
    expect(line(diffHosts([changed], [state()], checked(true)))).toEqual([
      'update host-entry conf: inputs.content first>second, inputs.token (set)>(changed) | reinstall: install.sh runs again',
    ]);
    expect(line(diffHosts([spec({ pinned: true, version: '2' })], [state()], new Map()))).toEqual([
      'update host-entry conf: version 1>2 | reinstall: install.sh runs again',
    ]);
  });

  it('runs again after a failed run or when check.sh fails on the server', () => {
    expect(line(diffHosts([spec()], [state({ status: 'failed' })], new Map()))[0]).toContain(
      'the last run failed: install.sh runs again',
    );
    expect(line(diffHosts([spec()], [state()], checked(false)))[0]).toContain(
      'check.sh: not in place on the server: install.sh runs again',
    );
  });

  it('removes an undeclared install only when its entry can uninstall; else a warning', () => {
    expect(line(diffHosts([], [state()], new Map()))).toEqual([
      'delete host-entry hostconf: entry hostconf 1> | runs its uninstall.sh (prune)',
    ]);
    const kept = diffHosts([], [state({ entry: 'hostcodes', uninstallable: false })], new Map());
    expect(kept.changes).toEqual([]);
    expect(kept.warnings).toEqual([
      'host entry hostcodes on web is not in the file but has no uninstall script: apply will not remove it (declare it, or undo it on the server by hand)',
    ]);
    expect(diffHosts([], [state({ uninstallable: null })], new Map()).warnings[0]).toContain('is not in the catalog');
  });
});

const BASE = `version: 1
servers:
  web-1:
    host: 203.0.113.10
apps:
  conf:
    server: web-1
    image: nginx:alpine
catalog:
  conf:
    server: web-1
    entry: hostconf
    inputs:
      marker: m1
      token: secret:tok
`;
const build = (text: string) =>
  buildDesired(parseInventory('infrakt.yaml', text), new Set(['tok']), {
    catalogDirs: [FIXTURES],
    secretValues: new Map([['tok', 'the-token']]),
  });
const fails = (text: string) => {
  try {
    build(text);
  } catch (e) {
    if (isInfraktError(e)) return `${e.code} ${e.message}`;
    throw e;
  }
  return 'ok';
};

describe('host entries: in infrakt.yaml', { timeout: 30_000 }, () => {
  it('become host specs apart from the apps (a host entry may share an app name); secrets hashed', () => {
    const d = build(BASE);
    expect(d.state.catalog).toEqual([]);
    expect(d.state.hosts).toHaveLength(1);
    const h = d.state.hosts[0]!;
    expect({ ...h, inputs: Object.fromEntries(h.inputs) }).toEqual({
      name: 'conf',
      server: 'web-1',
      entry: 'hostconf',
      version: '1',
      pinned: false,
      inputs: { marker: plain('m1'), token: secret('the-token') },
    });
    expect(d.extras.catalogInputs.get('web-1/conf')).toEqual({ marker: 'm1', token: 'secret:tok' });
  });

  it('refuses a domain, a second declaration of the same entry on a server, and bad inputs, at their line', () => {
    expect(fails(`${BASE}    domain: conf.example.com\n`)).toMatch(
      /^VALIDATION infrakt\.yaml:\d+:\d+: catalog\.conf\.domain: hostconf is a host entry \(an installer run on the server\): it takes no domain/,
    );
    expect(
      fails(`${BASE}  again:\n    server: web-1\n    entry: hostconf\n    inputs: { marker: m2, token: x }\n`),
    ).toMatch(/catalog\.again\.entry: hostconf is already declared on web-1 as 'conf'/);
    expect(fails(BASE.replace('marker: m1', 'marker: "Bad Marker"'))).toMatch(
      /catalog\.conf\.inputs\.marker: input 'marker'/,
    );
  });
});
