import type { AppRow, ServerRow } from '../../adapters/store/schema.js';
import { caddyfileInSync } from '../../core/caddy/render.js';
import type { CatalogManifest } from '../../core/catalog/manifest-schema.js';
import { caddyPaths } from '../../core/commands/caddy.js';
import { toInfraktError } from '../../core/errors.js';
import type { Executor } from '../../core/executor.js';
import { imageRefOf, parseImageRef, parseRootContainers, rootContainers } from '../../core/inventory/live.js';
import type {
  ActualState,
  AppState,
  CatalogState,
  DatabaseState,
  LiveApp,
  LiveServer,
  RouteSpec,
  ServerState,
} from '../../core/inventory/model.js';
import { releaseProject } from '../../core/plans/layout.js';
import { volumeText } from '../../core/schemas/app-settings.js';
import { extraDomains } from '../apps/app-domains.js';
import { appSettings } from '../apps/release-source.js';
import { dbSettings } from '../databases/model.js';
import { renderServerCaddyfile } from '../proxy/proxy-config.js';
import { serverSettings } from '../servers/servers.js';
import { pullPolicy } from '../servers/settings.js';
import type { Ctx } from '../shared/context.js';
import { catalogStateOf, hostStates } from './actual-catalog.js';
import { hashValue } from './hash.js';
import { type HostCheck, runHostChecks } from './host-checks.js';

export const normalCron = (c: string) => c.trim().split(/\s+/).join(' ');

export interface StateRows {
  readonly servers: ServerRow[];
  readonly apps: (AppRow & { server_name: string })[];
  /** The manifest each catalog install was read with (`server/name`; absent when its entry is not found). */
  readonly catalogManifests: ReadonlyMap<string, CatalogManifest>;
  /** The manifest each host entry's run was read with (`server/entry`). */
  readonly hostManifests: ReadonlyMap<string, CatalogManifest>;
}

export interface LocalStateOptions {
  /** Extra catalog folders (`--catalog-dir`): where the manifests of catalog installs are found. */
  readonly catalogDirs?: readonly string[];
}

/** An edge server's tunnel as the file writes it (the pinned key as `<type> <base64>`). */
function edgeState(
  s: ServerRow,
  e: { device_ssh_port: number; relay: string | null } | undefined,
): ServerState['edge'] {
  if (!e) return null;
  return {
    relay: e.relay,
    devicePort: e.device_ssh_port,
    hostKey: (s.host_key ?? '').split(/\s+/).slice(0, 2).join(' '),
  };
}

/**
 * Local state as plan input: servers, apps (env hashed), databases, manual routes, catalog installs (apart from
 * the apps: their inputs read back from the env). No server is contacted.
 */
export async function localState(
  ctx: Ctx,
  opts: LocalStateOptions = {},
): Promise<{ state: Omit<ActualState, 'live'>; rows: StateRows }> {
  const db = ctx.store.db;
  const servers = await db.selectFrom('servers').selectAll().orderBy('name').execute();
  const apps = await db
    .selectFrom('apps')
    .innerJoin('servers', 'servers.id', 'apps.server_id')
    .selectAll('apps')
    .select('servers.name as server_name')
    .execute();
  const cloud = await db
    .selectFrom('provider_servers')
    .innerJoin('providers', 'providers.id', 'provider_servers.provider_id')
    .select(['provider_servers.name', 'providers.name as provider', 'server_type', 'location', 'image'])
    .execute();
  const cloudOf = new Map(cloud.map((c) => [c.name, c]));
  const edgeRows = await db
    .selectFrom('edge_devices')
    .leftJoin('edge_relays', 'edge_relays.id', 'edge_devices.relay_id')
    .select(['edge_devices.server_id', 'edge_devices.device_ssh_port', 'edge_relays.name as relay'])
    .execute();
  const edgeOf = new Map(edgeRows.map((e) => [e.server_id, e]));
  const provisioned = new Set(
    (
      await db
        .selectFrom('jobs')
        .select('server_id')
        .where('kind', '=', 'server.provision')
        .where('status', '=', 'succeeded')
        .execute()
    ).map((r) => r.server_id),
  );
  const serverStates: ServerState[] = servers.map((s) => {
    const settings = serverSettings(s);
    const c = cloudOf.get(s.name);
    return {
      name: s.name,
      host: s.host,
      user: s.user,
      port: s.port,
      keyPath: s.key_path,
      fingerprint: s.host_key_fingerprint,
      root: s.root_dir,
      provider: c ? { name: c.provider, type: c.server_type, location: c.location, image: c.image } : null,
      labels: (settings.labels as Record<string, string> | undefined) ?? {},
      provisioned: provisioned.has(s.id),
      proxy: settings.proxy,
      pullPolicy: pullPolicy(s),
      edge: edgeState(s, edgeOf.get(s.id)),
    };
  });

  const envRows = await db.selectFrom('env_vars').select(['app_id', 'key', 'value_enc']).execute();
  const current = await db
    .selectFrom('deployments')
    .innerJoin('apps', 'apps.id', 'deployments.app_id')
    .select(['deployments.app_id', 'deployments.source_ref'])
    .whereRef('deployments.release', '=', 'apps.current_release')
    .execute();
  const refOf = new Map(current.map((d) => [d.app_id, d.source_ref]));
  const extra = await extraDomains(
    db,
    apps.map((a) => a.id),
  );
  const appStates: AppState[] = [];
  const dbStates: DatabaseState[] = [];
  const catalogStates: CatalogState[] = [];
  const catalogManifests = new Map<string, CatalogManifest>();
  const catalogOf = catalogStateOf(opts.catalogDirs ?? []);
  for (const a of apps) {
    if (a.app_type.startsWith('db:')) {
      const s = dbSettings(a);
      dbStates.push({
        name: a.name,
        server: a.server_name,
        type: s.type,
        version: s.version,
        backup: s.schedule ? { schedule: normalCron(s.schedule.cron), keep: s.schedule.keep } : null,
        status: a.status,
      });
      continue;
    }
    const plain = new Map(
      envRows
        .filter((e) => e.app_id === a.id)
        .map((e) => [e.key, ctx.cipher.decrypt(a.id, e.key, e.value_enc, { app: a.name })]),
    );
    const cat = catalogOf(a, plain);
    if (cat) {
      catalogStates.push(cat.state);
      if (cat.manifest) catalogManifests.set(`${a.server_name}/${a.name}`, cat.manifest);
      continue;
    }
    const settings = appSettings(a);
    const env = new Map([...plain].map(([k, v]) => [k, hashValue(v)]));
    appStates.push({
      name: a.name,
      server: a.server_name,
      source:
        a.app_type === 'image'
          ? { type: 'image', image: a.image ?? '' }
          : a.app_type === 'git'
            ? { type: 'git', git: a.git_repo ?? '', branch: a.branch ?? 'main' }
            : { type: 'compose', composeSha: settings.compose?.sha256 ?? '' },
      port: a.port,
      domains: a.domain ? [a.domain, ...(extra.get(a.id) ?? [])] : [],
      healthPath: settings.health.path,
      healthTimeoutMs: settings.health.timeoutMs,
      envHashes: env,
      volumes: (settings.volumes ?? []).map(volumeText),
      limits: { memory: settings.memory ?? null, cpus: settings.cpus ?? null },
      status: a.status,
      currentRelease: a.current_release,
      currentSourceRef: refOf.get(a.id) ?? null,
    });
  }
  const routeRows = await db
    .selectFrom('proxy_routes')
    .innerJoin('servers', 'servers.id', 'proxy_routes.server_id')
    .select(['servers.name as server', 'domain', 'upstream_port'])
    .where('app_id', 'is', null)
    .execute();
  const routes: RouteSpec[] = routeRows.map((r) => ({ server: r.server, domain: r.domain, port: r.upstream_port }));
  const hosts = await hostStates(ctx, opts.catalogDirs ?? []);
  return {
    state: {
      servers: serverStates,
      apps: appStates,
      databases: dbStates,
      routes,
      catalog: catalogStates,
      hosts: hosts.states,
    },
    rows: { servers, apps, catalogManifests, hostManifests: hosts.manifests },
  };
}

/**
 * What one server says now, over one connection: which releases and database containers run, what the
 * configured images resolve to there, and whether its Caddyfile is the one infrakt renders. Never throws:
 * an unreachable server is reported as such.
 */
export async function observeServer(
  ctx: Ctx,
  server: ServerRow,
  apps: readonly AppRow[],
  hostChecks: readonly HostCheck[] = [],
): Promise<LiveServer> {
  let ex: Executor | null = null;
  try {
    ex = await ctx.connect(server);
    const x = ex;
    const imageApps = apps.filter((a) => a.app_type === 'image' && a.image);
    const [ps, caddyfile, rendered, ...images] = await Promise.all([
      x.run(rootContainers(server.root_dir), { timeoutMs: 60_000 }),
      x.get(caddyPaths(server.root_dir).config).then(
        (b) => b.toString('utf8'),
        () => null,
      ),
      renderServerCaddyfile(ctx, server),
      ...imageApps.map((a) => x.run(imageRefOf(a.image!), { timeoutMs: 60_000 })),
    ]);
    const containers = parseRootContainers(ps.stdout);
    const liveApps = new Map<string, LiveApp>();
    for (const a of apps) {
      if (a.app_type.startsWith('db:') || a.current_release === null) continue;
      const project = releaseProject(a.name, a.current_release);
      const i = imageApps.indexOf(a);
      const img = i >= 0 ? images[i] : undefined;
      liveApps.set(a.name, {
        running: containers.some((c) => c.app === a.name && c.project === project && c.state === 'running'),
        imageRef: img && img.exitCode === 0 ? parseImageRef(img.stdout) : null,
      });
    }
    const databasesRunning = new Set(containers.filter((c) => c.db && c.state === 'running').map((c) => c.app));
    const hasRoutes = rendered.includes('reverse_proxy');
    const checked = hostChecks.length ? await runHostChecks(x, server, hostChecks) : undefined;
    return {
      reachable: true,
      ...(checked ? { hostChecks: checked } : {}),
      apps: liveApps,
      databasesRunning,
      proxyInSync: caddyfile === null ? !hasRoutes : caddyfileInSync(caddyfile, rendered),
    };
  } catch (e) {
    const err = toInfraktError(e);
    return {
      reachable: false,
      error: `${err.code}: ${err.message}`,
      apps: new Map(),
      databasesRunning: new Set(),
      proxyInSync: true,
    };
  } finally {
    await ex?.close();
  }
}
