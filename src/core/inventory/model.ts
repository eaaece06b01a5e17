import type { DbType } from '../schemas/app.js';
import type { ProxySettings } from '../schemas/server.js';

/**
 * The two sides a plan compares, as plain data. Env values never appear here: both sides carry a hash per
 * key (`envHashes`), so the diff and everything printed from it can show keys only.
 */

export interface ProviderSpec {
  readonly name: string;
  readonly type: string;
  readonly location: string;
  readonly image: string;
}

/** An edge server's tunnel as the file and the state both describe it. */
export interface EdgeSpec {
  /** null: the device dials this control host. */
  readonly relay: string | null;
  readonly devicePort: number;
  /** `<type> <base64>`: the device host key infrakt pins. */
  readonly hostKey: string;
}

export interface ServerSpec {
  readonly name: string;
  /** Absent for a server a provider creates (its address is known once it exists). */
  readonly host?: string;
  readonly user: string;
  readonly port: number;
  readonly keyPath: string | null;
  readonly fingerprint?: string;
  readonly root: string;
  readonly provider?: ProviderSpec;
  readonly labels: Readonly<Record<string, string>>;
  readonly provision: boolean;
  readonly proxy: ProxySettings;
  readonly pullPolicy: 'missing' | 'never';
  /** An edge server (registered with `server add --edge`): no host, port or fingerprint of its own. */
  readonly edge?: EdgeSpec;
}

export interface ServerState {
  readonly name: string;
  readonly host: string;
  readonly user: string;
  readonly port: number;
  readonly keyPath: string | null;
  readonly fingerprint: string | null;
  readonly root: string;
  readonly provider: ProviderSpec | null;
  readonly labels: Readonly<Record<string, string>>;
  /** A provision job of this server succeeded once. */
  readonly provisioned: boolean;
  readonly proxy: ProxySettings;
  readonly pullPolicy: 'missing' | 'never';
  readonly edge: EdgeSpec | null;
}

export type AppSourceSpec =
  | { readonly type: 'image'; readonly image: string }
  | { readonly type: 'git'; readonly git: string; readonly branch: string }
  | { readonly type: 'compose'; readonly composeSha: string };

export interface AppSpec {
  readonly name: string;
  readonly server: string;
  readonly source: AppSourceSpec;
  readonly port: number;
  readonly domains: readonly string[];
  readonly healthPath: string;
  readonly healthTimeoutMs: number;
  /** Null: env is not managed by the file (left as it is). */
  readonly envHashes: ReadonlyMap<string, string> | null;
  /** `NAME:/path[:ro]` / `./dir:/path[:ro]` in order; null: not managed by the file. */
  readonly volumes: readonly string[] | null;
  /** Null: limits are not managed by the file; a null field inside: no such limit. */
  readonly limits: { readonly memory: string | null; readonly cpus: number | null } | null;
}

export interface AppState extends Omit<AppSpec, 'envHashes' | 'volumes' | 'limits'> {
  readonly envHashes: ReadonlyMap<string, string>;
  readonly volumes: readonly string[];
  readonly limits: { readonly memory: string | null; readonly cpus: number | null };
  readonly status: string;
  readonly currentRelease: number | null;
  /** Source identity of the current release (image digest, commit, compose hash). */
  readonly currentSourceRef: string | null;
}

export interface DatabaseSpec {
  readonly name: string;
  readonly server: string;
  readonly type: DbType;
  readonly version: string;
  readonly secret?: string;
  readonly backup: { readonly schedule: string; readonly keep: number } | null;
}

export interface DatabaseState extends Omit<DatabaseSpec, 'secret'> {
  readonly status: string;
}

export interface RouteSpec {
  readonly server: string;
  readonly domain: string;
  readonly port: number;
}

/**
 * One input value of a catalog install: secret inputs (passwords, tokens) carry only a hash, so a plan can say
 * "changed" without ever holding or printing the value; the others carry their normalised value.
 */
export interface CatalogInputValue {
  readonly secret: boolean;
  /** The value (non-secret inputs only). */
  readonly shown: string | null;
  readonly hash: string;
}

export interface CatalogSpec {
  /** The app it becomes (compose entries). */
  readonly name: string;
  readonly server: string;
  readonly entry: string;
  /** The version the file gives, else the newest in the catalog (used when it is installed). */
  readonly version: string;
  /** The file gives a version: a different installed one is upgraded (or downgraded) to it. */
  readonly pinned: boolean;
  readonly domain: string | null;
  /** Only the inputs the file gives (the others keep their installed values). */
  readonly inputs: ReadonlyMap<string, CatalogInputValue>;
}

export interface CatalogState {
  readonly name: string;
  readonly server: string;
  readonly entry: string;
  readonly version: string;
  readonly domain: string | null;
  /** The installed values, read back from the app's encrypted env. */
  readonly inputs: ReadonlyMap<string, CatalogInputValue>;
  readonly status: string;
  readonly currentRelease: number | null;
}

/**
 * A host entry of the catalog (an installer run on the server, not an app) as the file declares it. Host
 * installs are one per entry and server; the name is the file's key for it.
 */
export interface HostInstallSpec {
  readonly name: string;
  readonly server: string;
  readonly entry: string;
  readonly version: string;
  readonly pinned: boolean;
  /** Only the inputs the file gives (the others keep their installed values). */
  readonly inputs: ReadonlyMap<string, CatalogInputValue>;
}

export interface HostInstallState {
  readonly server: string;
  readonly entry: string;
  readonly version: string;
  /** Outcome of the last run: installed, unchanged or failed. */
  readonly status: string;
  /** The values of the last run (secret ones as hashes only). */
  readonly inputs: ReadonlyMap<string, CatalogInputValue>;
  /** The entry has an uninstall script: prune may remove it. Null: the entry is not in the catalog. */
  readonly uninstallable: boolean | null;
}

/** What the live server says (null fields: not checked, e.g. the server was unreachable). */
export interface LiveApp {
  /** The current release's containers are running. */
  readonly running: boolean;
  /** Image apps: the digest (or id) the configured image reference has on the server now. */
  readonly imageRef: string | null;
}

export interface LiveServer {
  readonly reachable: boolean;
  readonly error?: string;
  readonly apps: ReadonlyMap<string, LiveApp>;
  readonly databasesRunning: ReadonlySet<string>;
  /** The Caddyfile on the server is the one infrakt renders from its state. */
  readonly proxyInSync: boolean;
  /** Host entries with a check.sh, by entry id: true when it says the install is in place (exit 0). */
  readonly hostChecks?: ReadonlyMap<string, boolean>;
}

export interface DesiredState {
  readonly servers: readonly ServerSpec[];
  readonly apps: readonly AppSpec[];
  readonly databases: readonly DatabaseSpec[];
  readonly routes: readonly RouteSpec[];
  readonly catalog: readonly CatalogSpec[];
  readonly hosts: readonly HostInstallSpec[];
}

export interface ActualState {
  readonly servers: readonly ServerState[];
  readonly apps: readonly AppState[];
  readonly databases: readonly DatabaseState[];
  readonly routes: readonly RouteSpec[];
  /** Apps installed from the catalog (not among `apps`). */
  readonly catalog: readonly CatalogState[];
  /** Host entries run on servers (one per entry and server). */
  readonly hosts: readonly HostInstallState[];
  /** Per server name; absent when live checks were not asked for. */
  readonly live: ReadonlyMap<string, LiveServer>;
}
