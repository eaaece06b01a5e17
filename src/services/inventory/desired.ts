import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { InfraktError } from '../../core/errors.js';
import { fieldError, type LoadedInventory, parseInventory } from '../../core/inventory/load.js';
import type {
  AppSpec,
  CatalogSpec,
  DatabaseSpec,
  DesiredState,
  HostInstallSpec,
  RouteSpec,
  ServerSpec,
} from '../../core/inventory/model.js';
import type { AppInventory } from '../../core/inventory/schema.js';
import { healthCheckSchema } from '../../core/schemas/app.js';
import { memorySchema, volumeListSchema, volumeText } from '../../core/schemas/app-settings.js';
import { secretRef } from '../../core/schemas/secret.js';
import { proxySettingsSchema } from '../../core/schemas/server.js';
import { openCatalog } from '../catalog/catalog-index.js';
import { defaultVersion } from '../databases/model.js';
import { catalogSpec } from './desired-catalog.js';
import { hashValue } from './hash.js';

export { hashValue };

/** What apply needs beyond the specs: the env values and compose contents (never printed). */
export interface DesiredExtras {
  /** Env as written in the file per app (`server/app`): literals and `secret:NAME` references. */
  readonly env: ReadonlyMap<string, ReadonlyMap<string, string>>;
  readonly compose: ReadonlyMap<string, string>;
  /** Secret names the file's databases create (references to them are valid before they exist). */
  readonly producedSecrets: ReadonlySet<string>;
  /** Catalog inputs as written in the file per install (`server/name`): literals and `secret:NAME` references. */
  readonly catalogInputs: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** The user's own catalog folders (`--catalog-dir`), for installs and upgrades. */
  readonly catalogDirs: readonly string[];
}

export interface DesiredOptions {
  /** Extra catalog folders (`--catalog-dir`). */
  readonly catalogDirs?: readonly string[];
  /** Stored secret values by name, for `secret:NAME` catalog inputs (compared by hash only). */
  readonly secretValues?: ReadonlyMap<string, string>;
}

export interface DesiredInventory {
  readonly loaded: LoadedInventory;
  readonly state: DesiredState;
  readonly extras: DesiredExtras;
}

export const appKey = (server: string, name: string) => `${server}/${name}`;

/** Reads infrakt.yaml from disk (a missing or unreadable file is a VALIDATION error naming it). */
export function readInventoryFile(file: string): LoadedInventory {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InfraktError('VALIDATION', `cannot read ${file} (${code ?? 'error'})`, {
      hint:
        code === 'ENOENT'
          ? 'write one (see README: infrakt.yaml), or start from: infrakt export -o infrakt.yaml'
          : undefined,
    });
  }
  return parseInventory(file, text);
}

function expandPath(p: string, baseDir: string): string {
  if (p === '~' || p.startsWith('~/')) return resolve(homedir(), p.slice(2));
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

/** An app's volumes as `app update --volume` checks them (one path, one name each), in their canonical text. */
function appVolumes(loaded: LoadedInventory, path: (string | number)[], given: readonly string[]): string[] {
  const r = volumeListSchema.safeParse(given);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw fieldError(
      loaded,
      [...path, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))],
      issue.message,
    );
  }
  return r.data.map(volumeText);
}

/** Memory as `app update --memory` checks it (Docker's 6m minimum), lower-cased. */
function appMemory(loaded: LoadedInventory, path: (string | number)[], given: string): string {
  const r = memorySchema.safeParse(given);
  if (!r.success) throw fieldError(loaded, path, r.error.issues[0]!.message);
  return r.data;
}

/**
 * Turns a validated file into the desired state: defaults filled in, paths resolved against the file's
 * directory, compose files read, env hashed, and cross references checked (each error located in the file).
 */
export function buildDesired(
  loaded: LoadedInventory,
  existingSecrets: ReadonlySet<string>,
  opts: DesiredOptions = {},
): DesiredInventory {
  const inv = loaded.inventory;
  const base = dirname(resolve(loaded.file));
  const serverNames = new Set(Object.keys(inv.servers ?? {}));
  const needServer = (path: (string | number)[], name: string) => {
    if (!serverNames.has(name))
      throw fieldError(
        loaded,
        path,
        `no server '${name}' in this file`,
        `declare it under servers: (${[...serverNames].join(', ') || 'none yet'})`,
      );
  };

  const servers: ServerSpec[] = Object.entries(inv.servers ?? {}).map(([name, s]) => ({
    name,
    ...(s.host ? { host: s.host } : {}),
    user: s.user ?? 'root',
    port: s.port ?? 22,
    keyPath: s.key ? expandPath(s.key, base) : null,
    ...(s.fingerprint ? { fingerprint: s.fingerprint } : {}),
    root: s.root ?? '/opt/infrakt',
    ...(s.provider ? { provider: s.provider } : {}),
    labels: s.labels ?? {},
    provision: s.provision ?? false,
    proxy: proxySettingsSchema.parse(s.proxy ?? {}),
    pullPolicy: s.pullPolicy ?? 'missing',
    ...(s.edge
      ? { edge: { relay: s.edge.relay ?? null, devicePort: s.edge.devicePort ?? 22, hostKey: s.edge.hostKey } }
      : {}),
  }));

  const databases: DatabaseSpec[] = Object.entries(inv.databases ?? {}).map(([name, d]) => {
    needServer(['databases', name, 'server'], d.server);
    return {
      name,
      server: d.server,
      type: d.type,
      version: d.version ?? defaultVersion(d.type),
      ...(d.secret ? { secret: d.secret } : {}),
      backup: d.backup ? { schedule: d.backup.schedule.trim(), keep: d.backup.keep ?? 7 } : null,
    };
  });
  const producedSecrets = new Set(databases.flatMap((d) => (d.secret ? [d.secret] : [])));

  const env = new Map<string, Map<string, string>>();
  const compose = new Map<string, string>();
  const domainsSeen = new Map<string, string>();
  const apps: AppSpec[] = Object.entries(inv.apps ?? {}).map(([name, a]) => {
    const at = (...p: (string | number)[]) => ['apps', name, ...p];
    needServer(at('server'), a.server);
    const domains = a.domains ?? [];
    for (const [i, d] of domains.entries()) {
      const other = domainsSeen.get(`${a.server}\0${d}`);
      if (other) throw fieldError(loaded, at('domains', i), `${d} is already routed to ${other} on ${a.server}`);
      domainsSeen.set(`${a.server}\0${d}`, `app ${name}`);
    }
    for (const [k, v] of Object.entries(a.env ?? {})) {
      const ref = secretRef(v);
      if (ref !== null && !existingSecrets.has(ref) && !producedSecrets.has(ref))
        throw fieldError(
          loaded,
          at('env', k),
          `secret '${ref}' does not exist`,
          `create it with: infrakt secret set ${ref} (or a database's secret: in this file)`,
        );
    }
    const key = appKey(a.server, name);
    if (a.env) env.set(key, new Map(Object.entries(a.env)));
    const health = healthCheckSchema.parse({
      path: a.health?.path,
      ...(a.health?.timeout ? { timeoutMs: a.health.timeout * 1000 } : {}),
    });
    return {
      name,
      server: a.server,
      source: appSource(loaded, name, a, base, compose, key),
      port: a.port ?? 3000,
      domains,
      healthPath: health.path,
      healthTimeoutMs: health.timeoutMs,
      envHashes: a.env ? new Map(Object.entries(a.env).map(([k, v]) => [k, hashValue(v)])) : null,
      volumes: a.volumes ? appVolumes(loaded, at('volumes'), a.volumes) : null,
      limits: a.limits
        ? {
            memory: a.limits.memory ? appMemory(loaded, at('limits', 'memory'), a.limits.memory) : null,
            cpus: a.limits.cpus ?? null,
          }
        : null,
    };
  });

  const appNames = new Set(apps.map((a) => appKey(a.server, a.name)));
  const catalogInputs = new Map<string, Record<string, string>>();
  const catalogEntries = Object.entries(inv.catalog ?? {});
  const cat = catalogEntries.length ? openCatalog({ catalogDirs: opts.catalogDirs ?? [] }) : null;
  const catalog: CatalogSpec[] = [];
  const hosts: HostInstallSpec[] = [];
  for (const [name, c] of catalogEntries) {
    const at = (...p: (string | number)[]) => ['catalog', name, ...p];
    needServer(at('server'), c.server);
    const { spec, manifest } = catalogSpec(
      { loaded, catalog: cat!, secretValues: opts.secretValues ?? new Map(), producedSecrets },
      name,
      c,
    );
    catalogInputs.set(appKey(c.server, name), { ...(c.inputs ?? {}) });
    // A host entry runs on the server (one run per entry and server): not an app, so its name clashes with none.
    if (manifest.kind === 'host') {
      const twin = hosts.find((h) => h.server === c.server && h.entry === spec.entry);
      if (twin)
        throw fieldError(
          loaded,
          at('entry'),
          `${spec.entry} is already declared on ${c.server} as '${twin.name}'`,
          'a host entry runs once per server',
        );
      const { domain: _domain, ...host } = spec;
      hosts.push(host);
      continue;
    }
    if (appNames.has(appKey(c.server, name)))
      throw fieldError(
        loaded,
        ['catalog', name],
        `'${name}' is also an app on ${c.server}: a catalog install is an app`,
      );
    if (spec.domain) {
      const other = domainsSeen.get(`${c.server}\0${spec.domain}`);
      if (other) throw fieldError(loaded, at('domain'), `${spec.domain} is already routed to ${other} on ${c.server}`);
      domainsSeen.set(`${c.server}\0${spec.domain}`, `catalog install ${name}`);
    }
    catalog.push(spec);
  }

  const routes: RouteSpec[] = (inv.routes ?? []).map((r, i) => {
    needServer(['routes', i, 'server'], r.server);
    const other = domainsSeen.get(`${r.server}\0${r.domain}`);
    if (other)
      throw fieldError(loaded, ['routes', i, 'domain'], `${r.domain} is already routed to ${other} on ${r.server}`);
    domainsSeen.set(`${r.server}\0${r.domain}`, `route #${i + 1}`);
    return { server: r.server, domain: r.domain, port: r.port };
  });

  const catalogNames = new Set(catalog.map((c) => appKey(c.server, c.name)));
  for (const d of databases) {
    if (appNames.has(appKey(d.server, d.name)) || catalogNames.has(appKey(d.server, d.name)))
      throw fieldError(
        loaded,
        ['databases', d.name],
        `'${d.name}' is also an app on ${d.server}: apps and databases share names per server`,
      );
  }
  return {
    loaded,
    state: { servers, apps, databases, routes, catalog, hosts },
    extras: { env, compose, producedSecrets, catalogInputs, catalogDirs: opts.catalogDirs ?? [] },
  };
}

function appSource(
  loaded: LoadedInventory,
  name: string,
  a: AppInventory,
  base: string,
  compose: Map<string, string>,
  key: string,
): AppSpec['source'] {
  if (a.image) return { type: 'image', image: a.image };
  if (a.git) return { type: 'git', git: a.git, branch: a.branch ?? 'main' };
  const c = a.compose!;
  let content: string;
  if ('content' in c) content = c.content;
  else {
    const path = expandPath(c.file, base);
    try {
      content = readFileSync(path, 'utf8');
    } catch (e) {
      throw fieldError(
        loaded,
        ['apps', name, 'compose', 'file'],
        `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  compose.set(key, content);
  return { type: 'compose', composeSha: hashValue(content) };
}
