import { type Change, change, fields, KIND_ORDER, type Plan } from './change.js';
import { diffCatalog } from './diff-catalog.js';
import { diffHosts } from './diff-host.js';
import { diffApp, diffDatabase, diffServer } from './diff-resources.js';
import type { ActualState, DesiredState, RouteSpec } from './model.js';

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

  const hosts = diffHosts(desired.hosts, actual.hosts, actual.live);
  changes.push(...hosts.changes);
  warnings.push(...hosts.warnings);

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

  // Catalog installs are apps underneath, named per server like them; they never show among the plain apps. A
  // name that changes sides (a plain app becomes a catalog install or back) is a replacement, not a create that
  // would clash with the app still there.
  const haveApps = new Map(actual.apps.map((a) => [onServer(a), a]));
  const haveCatalog = new Map(actual.catalog.map((c) => [onServer(c), c]));
  const wantApps = new Set(desired.apps.map(onServer));
  const wantCatalog = new Set(desired.catalog.map(onServer));
  for (const a of desired.apps) {
    const was = haveCatalog.get(onServer(a));
    if (was && !haveApps.has(onServer(a)))
      changes.push(
        sideSwap('app', a, `catalog ${was.entry} ${was.version}`, a.source.type, 'destroys the catalog install'),
      );
    else changes.push(...diffApp(a, haveApps.get(onServer(a)), actual.live.get(a.server)));
  }
  for (const a of actual.apps) {
    if (!wantApps.has(onServer(a)) && !wantCatalog.has(onServer(a)))
      changes.push(change({ action: 'delete', kind: 'app', name: a.name, server: a.server, fields: [] }));
  }

  for (const c of desired.catalog) {
    if (haveApps.has(onServer(c)) && !haveCatalog.has(onServer(c)))
      changes.push(
        sideSwap(
          'catalog',
          c,
          `${haveApps.get(onServer(c))!.source.type} app`,
          `${c.entry} ${c.version}`,
          'destroys the app',
        ),
      );
    else changes.push(...diffCatalog(c, haveCatalog.get(onServer(c)), actual.live.get(c.server)));
  }
  for (const c of actual.catalog) {
    if (!wantCatalog.has(onServer(c)) && !wantApps.has(onServer(c)))
      changes.push(
        change({
          action: 'delete',
          kind: 'catalog',
          name: c.name,
          server: c.server,
          fields: [{ field: 'entry', from: `${c.entry} ${c.version}` }],
          notes: ['destroys the app (containers, volumes, route)'],
        }),
      );
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
        : s.edge
          ? ['forgets it locally and revokes its tunnel key at its meeting point']
          : ['forgets it locally (nothing on the server changes)'];
      changes.push(change({ action: 'delete', kind: 'server', name: s.name, server: s.name, fields: [], notes }));
    }
  }
  return { changes: orderChanges(changes), warnings };
}

function sideSwap(
  kind: 'app' | 'catalog',
  want: { name: string; server: string },
  from: string,
  to: string,
  what: string,
): Change {
  return change({
    action: 'replace',
    kind,
    name: want.name,
    server: want.server,
    fields: [{ field: kind === 'app' ? 'type' : 'entry', from, to }],
    notes: [`${what} (containers, volumes, route) and creates it again as declared`],
    deploy: true,
  });
}

const rank = (c: Change) => KIND_ORDER.indexOf(c.kind);

/** Apply order: per server, creates/updates by kind (servers → provision → host entries → databases → apps → catalog → routes), then deletes in reverse. */
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
