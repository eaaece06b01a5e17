import { Document } from 'yaml';
import { checkInputValue } from '../../core/catalog/inputs.js';
import type { CatalogManifest } from '../../core/catalog/manifest-schema.js';
import type { CatalogState, HostInstallState } from '../../core/inventory/model.js';
import type { InventoryFile } from '../../core/inventory/schema.js';
import { healthCheckSchema } from '../../core/schemas/app.js';
import { proxySettingsSchema } from '../../core/schemas/server.js';
import { listEnv } from '../apps/env.js';
import { appSettings } from '../apps/release-source.js';
import type { Ctx } from '../shared/context.js';
import { localState } from './actual.js';

export interface ExportOptions {
  /** Write env values (decrypted, as stored: literals and secret: references). Off by default. */
  readonly withEnv?: boolean;
  /** Extra catalog folders (`--catalog-dir`): the manifests that say which inputs of an install are secret. */
  readonly catalogDirs?: readonly string[];
}

const PROXY_DEFAULTS = proxySettingsSchema.parse({});
const HEALTH_DEFAULTS = healthCheckSchema.parse({});

/**
 * `infrakt export`: the local state as infrakt.yaml. Only what differs from a default is written, so the file
 * reads like one a person wrote, and `plan` on it shows no changes. Env values stay out unless asked for:
 * without `env:` an app's variables are not managed by the file (and so not changed by apply).
 */
export async function exportInventory(
  ctx: Ctx,
  opts: ExportOptions = {},
): Promise<{ data: InventoryFile; yaml: string }> {
  const { state, rows } = await localState(ctx, { catalogDirs: opts.catalogDirs ?? [] });
  const secretsBySource = new Map(
    (await ctx.store.db.selectFrom('secrets').select(['name', 'source']).execute()).map((s) => [s.source, s.name]),
  );
  const servers: NonNullable<InventoryFile['servers']> = {};
  for (const s of state.servers) {
    const proxy = Object.fromEntries(
      Object.entries(s.proxy).filter(([k, v]) => PROXY_DEFAULTS[k as keyof typeof PROXY_DEFAULTS] !== v),
    );
    // An edge server is written as one: its relay, device port and pinned key, never its tunnel's 127.0.0.1:PORT.
    const edge = s.edge;
    const plain = !s.provider && !edge;
    servers[s.name] = {
      ...(edge
        ? {
            edge: {
              ...(edge.relay ? { relay: edge.relay } : {}),
              ...(edge.devicePort !== 22 ? { devicePort: edge.devicePort } : {}),
              hostKey: edge.hostKey,
            },
          }
        : s.provider
          ? { provider: { ...s.provider } }
          : { host: s.host }),
      ...(s.user !== 'root' ? { user: s.user } : {}),
      ...(s.port !== 22 && plain ? { port: s.port } : {}),
      ...(s.keyPath ? { key: s.keyPath } : {}),
      ...(s.fingerprint && plain ? { fingerprint: s.fingerprint } : {}),
      ...(s.root !== '/opt/infrakt' ? { root: s.root } : {}),
      ...(Object.keys(s.labels).length ? { labels: { ...s.labels } } : {}),
      ...(s.provisioned ? { provision: true } : {}),
      ...(Object.keys(proxy).length ? { proxy } : {}),
      ...(s.pullPolicy !== 'missing' ? { pullPolicy: s.pullPolicy } : {}),
    };
  }
  const apps: NonNullable<InventoryFile['apps']> = {};
  for (const a of state.apps) {
    const row = rows.apps.find((r) => r.name === a.name && r.server_name === a.server)!;
    const env = opts.withEnv ? await listEnv(ctx, a.name, { reveal: true, server: a.server }) : [];
    apps[a.name] = {
      server: a.server,
      ...(a.source.type === 'image'
        ? { image: a.source.image }
        : a.source.type === 'git'
          ? { git: a.source.git, ...(a.source.branch !== 'main' ? { branch: a.source.branch } : {}) }
          : { compose: { content: appSettings(row).compose?.content ?? '' } }),
      port: a.port,
      ...(a.domains.length ? { domains: [...a.domains] } : {}),
      ...(a.healthPath !== HEALTH_DEFAULTS.path || a.healthTimeoutMs !== HEALTH_DEFAULTS.timeoutMs
        ? {
            health: {
              ...(a.healthPath !== HEALTH_DEFAULTS.path ? { path: a.healthPath } : {}),
              ...(a.healthTimeoutMs !== HEALTH_DEFAULTS.timeoutMs
                ? { timeout: Math.round(a.healthTimeoutMs / 1000) }
                : {}),
            },
          }
        : {}),
      ...(a.volumes.length ? { volumes: [...a.volumes] } : {}),
      ...(a.limits.memory !== null || a.limits.cpus !== null
        ? {
            limits: {
              ...(a.limits.memory !== null ? { memory: a.limits.memory } : {}),
              ...(a.limits.cpus !== null ? { cpus: a.limits.cpus } : {}),
            },
          }
        : {}),
      ...(opts.withEnv ? { env: Object.fromEntries(env.map((e) => [e.key, e.value ?? ''])) } : {}),
    };
  }
  const databases: NonNullable<InventoryFile['databases']> = {};
  for (const d of state.databases) {
    const secret = secretsBySource.get(`db create ${d.server}/${d.name}`);
    databases[d.name] = {
      server: d.server,
      type: d.type,
      version: d.version,
      ...(secret ? { secret } : {}),
      ...(d.backup ? { backup: { schedule: d.backup.schedule, keep: d.backup.keep } } : {}),
    };
  }
  const catalog = exportCatalog(state.catalog, rows.catalogManifests);
  Object.assign(catalog, exportHosts(state.hosts, rows.hostManifests, new Set(Object.keys(catalog))));
  const data: InventoryFile = {
    version: 1,
    ...(Object.keys(servers).length ? { servers } : {}),
    ...(Object.keys(apps).length ? { apps } : {}),
    ...(Object.keys(databases).length ? { databases } : {}),
    ...(state.routes.length ? { routes: state.routes.map((r) => ({ ...r })) } : {}),
    ...(Object.keys(catalog).length ? { catalog } : {}),
  };
  const doc = new Document(data);
  doc.commentBefore = [
    ' infrakt inventory, exported from the local state. Check it with: infrakt plan',
    opts.withEnv
      ? ' env values are included: keep this file private, or move values into secrets (secret:NAME)'
      : ' env is not included: apps without env: keep their variables as they are (export --with-env includes them)',
    ...(state.catalog.length || state.hosts.length
      ? [' catalog inputs: secret ones are never exported (installs keep them); the others only when not the default']
      : []),
  ].join('\n');
  return { data, yaml: doc.toString({ lineWidth: 0 }) };
}

/**
 * Catalog installs under `catalog:`: entry, version, domain, and the non-secret inputs whose values are not the
 * entry's default. Secret inputs never leave the state (the installs keep them); when an entry is not in the
 * catalog (a user's folder not given) its inputs cannot be told apart, so none are written.
 */
/** Non-secret inputs whose values are not the entry's default (what a person would have written). */
function givenInputs(m: CatalogManifest | undefined, values: CatalogState['inputs']): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const input of m?.inputs ?? []) {
    const v = values.get(input.name);
    if (!v || v.secret || v.shown === null) continue;
    const d = input.default === undefined ? null : checkInputValue({ ...input, required: false }, input.default);
    if (d?.ok && d.value === v.shown) continue;
    inputs[input.name] = v.shown;
  }
  return inputs;
}

/**
 * Host entries under `catalog:`, named after their entry (with `-SERVER` when the entry runs on several servers
 * or the name is taken by a compose install): entry, version and the non-secret inputs of the last run.
 */
function exportHosts(
  hosts: readonly HostInstallState[],
  manifests: ReadonlyMap<string, CatalogManifest>,
  taken: ReadonlySet<string>,
): NonNullable<InventoryFile['catalog']> {
  const out: NonNullable<InventoryFile['catalog']> = {};
  for (const h of hosts) {
    const shared = hosts.filter((x) => x.entry === h.entry).length > 1 || taken.has(h.entry);
    const inputs = givenInputs(manifests.get(`${h.server}/${h.entry}`), h.inputs);
    out[shared ? `${h.entry}-${h.server}`.slice(0, 63) : h.entry] = {
      server: h.server,
      entry: h.entry,
      version: h.version,
      ...(Object.keys(inputs).length ? { inputs } : {}),
    };
  }
  return out;
}

function exportCatalog(
  installs: readonly CatalogState[],
  manifests: ReadonlyMap<string, CatalogManifest>,
): NonNullable<InventoryFile['catalog']> {
  const out: NonNullable<InventoryFile['catalog']> = {};
  for (const c of installs) {
    const inputs = givenInputs(manifests.get(`${c.server}/${c.name}`), c.inputs);
    out[c.name] = {
      server: c.server,
      entry: c.entry,
      version: c.version,
      ...(c.domain ? { domain: c.domain } : {}),
      ...(Object.keys(inputs).length ? { inputs } : {}),
    };
  }
  return out;
}
