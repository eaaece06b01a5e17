import type { Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { PushDeployTables } from './schema-push-deploy.js';

/** Timestamps are ISO-8601 UTC strings; JSON columns are TEXT holding JSON. */
export interface ServersTable {
  id: Generated<number>;
  name: string;
  host: string;
  port: number;
  user: string;
  key_path: string | null;
  provider: string | null;
  root_dir: string;
  status: string;
  host_key_fingerprint: string | null;
  /** The pinned host key as `<type> <base64>` (a known_hosts line without the host). */
  host_key: string | null;
  settings_json: string;
  /** Lifecycle state (migration teams): provision → provisioned → destroy → destroyed; see core/lifecycle. */
  state: Generated<string>;
  /** What deploys learnt about the server, keyed by a fingerprint of its Docker binaries (server-facts). */
  facts_json?: string | null;
  last_checked_at: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface AppsTable {
  id: Generated<number>;
  server_id: number;
  name: string;
  app_type: string;
  domain: string | null;
  port: number;
  git_repo: string | null;
  branch: string | null;
  image: string | null;
  status: string;
  settings_json: string;
  /** Lifecycle state (migration teams), apart from `status` (what the containers do). */
  state: Generated<string>;
  current_release: number | null;
  created_at: string;
  updated_at: string;
}

export interface DeploymentsTable {
  id: Generated<number>;
  app_id: number;
  release: number;
  action: string;
  source_type: string;
  source_ref: string | null;
  status: string;
  host_port: number | null;
  error: string | null;
  triggered_by: string;
  job_id: string | null;
  details_json: string;
  started_at: string;
  finished_at: string | null;
}

export interface EnvVarsTable {
  id: Generated<number>;
  app_id: number;
  key: string;
  /** `v1.<nonce b64>.<ciphertext+tag b64>` under the master key, AAD = app id + key. */
  value_enc: string;
  created_at: string;
  updated_at: string;
}

export interface JobsTable {
  id: string;
  kind: string;
  status: string;
  server_id: number | null;
  app_id: number | null;
  target: string;
  params_json: string;
  result_json: string | null;
  error_code: string | null;
  error_message: string | null;
  error_hint: string | null;
  actor: string;
  runner: string | null;
  cancel_requested: number;
  /** Refreshed every few seconds by the process running the job (migration 0005). */
  heartbeat_at: string | null;
  /** Round trips and SSH handshakes of the job's server session; when a deploy's traffic switched (job-measures). */
  round_trips: number | null;
  ssh_handshakes: number | null;
  serving_at: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface JobStepsTable {
  id: Generated<number>;
  job_id: string;
  idx: number;
  name: string;
  status: string;
  exit_code: number | null;
  detail: string | null;
  started_at: string | null;
  finished_at: string | null;
}

export interface JobLogsTable {
  id: Generated<number>;
  job_id: string;
  step_idx: number | null;
  stream: string;
  line: string;
  ts: string;
}

export interface LocksTable {
  name: string;
  job_id: string | null;
  holder: string;
  acquired_at: string;
}

export interface AuditEventsTable {
  id: Generated<number>;
  /** Position in the hash chain (migration teams); null only before it is sealed. */
  seq: number | null;
  ts: string;
  /** `owner` (API key), `user`, `token`, `cli` (local CLI user), `mcp`, `system`. */
  actor_kind: Generated<string>;
  actor: string;
  action: string;
  target: string;
  /** The parameters, secrets redacted. */
  details_json: string;
  /** `ok`, or the error code; with HTTP, the status too (`403 FORBIDDEN`). */
  result: Generated<string>;
  /** Client address, or `local`. */
  source: Generated<string>;
  prev_hash: string | null;
  hash: string | null;
}

export interface ProxyRoutesTable {
  id: Generated<number>;
  server_id: number;
  domain: string;
  upstream_port: number;
  app_id: number | null;
  created_at: string;
}

/** A named secret (`secret set`, `--store-as-secret`); sealed like env values, bound to its name. */
export interface SecretsTable {
  id: Generated<number>;
  name: string;
  value_enc: string;
  /** Who made it: `user`, `db create <name>`, `server exec <server>`, … (never the value). */
  source: string;
  created_at: string;
  updated_at: string;
}

export interface ProvidersTable {
  id: Generated<number>;
  name: string;
  type: string;
  /** The API token, sealed like env values and bound to the provider name. */
  token_enc: string;
  settings_json: string;
  created_at: string;
  updated_at: string;
}

export interface ProviderServersTable {
  id: Generated<number>;
  name: string;
  provider_id: number;
  /** The provider's id of the machine (null until the create call answered). */
  external_id: string | null;
  server_type: string;
  location: string;
  image: string;
  /** `<type> <base64>` of the host key infrakt generated and injected: pinned before the first connection. */
  host_key: string;
  status: string;
  details_json: string;
  created_at: string;
  updated_at: string;
}

export interface BackupTargetsTable {
  id: Generated<number>;
  name: string;
  kind: 'sftp' | 's3';
  /** TargetLocation (src/core/schemas/backup-target.ts): no secret in it. */
  location_json: string;
  /** Sealed JSON of TargetSecrets (repository password, S3 secret key, SFTP private key) under the master key. */
  secrets_enc: string;
  /** Last `backup-target test|verify`: { kind, at, status, message, server }. */
  last_check_json: string | null;
  created_at: string;
  updated_at: string;
}

export interface BackupRunsTable {
  id: Generated<number>;
  server_id: number;
  subject_kind: 'db' | 'app';
  subject: string;
  /** Target name; null = the server's local repository (app volumes) or a local dump. */
  target: string | null;
  status: 'ok' | 'failed';
  snapshot_id: string | null;
  bytes: number | null;
  message: string | null;
  job_id: string | null;
  started_at: string;
  finished_at: string;
}

export interface ServerReposTable {
  server_id: number;
  /** Sealed password of the server's local restic repository. */
  password_enc: string;
  created_at: string;
}

export interface Database extends PushDeployTables {
  servers: ServersTable;
  apps: AppsTable;
  deployments: DeploymentsTable;
  env_vars: EnvVarsTable;
  jobs: JobsTable;
  job_steps: JobStepsTable;
  job_logs: JobLogsTable;
  locks: LocksTable;
  audit_events: AuditEventsTable;
  proxy_routes: ProxyRoutesTable;
  secrets: SecretsTable;
  providers: ProvidersTable;
  provider_servers: ProviderServersTable;
  catalog_host_installs: CatalogHostInstallsTable;
  backup_targets: BackupTargetsTable;
  backup_runs: BackupRunsTable;
  server_repos: ServerReposTable;
  clusters: ClustersTable;
  cluster_nodes: ClusterNodesTable;
  cluster_apps: ClusterAppsTable;
  users: UsersTable;
  app_privileges: AppPrivilegesTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  oidc_providers: OidcProvidersTable;
  auth_flows: AuthFlowsTable;
  policies: PoliciesTable;
  approvals: ApprovalsTable;
  app_domains: AppDomainsTable;
  registries: RegistriesTable;
  edge_control: EdgeControlTable;
  edge_relays: EdgeRelaysTable;
  edge_devices: EdgeDevicesTable;
  cron_tasks: CronTasksTable;
}

/** A scheduled task of an app (migration 0012). */
export interface CronTasksTable {
  id: Generated<number>;
  app_id: number;
  name: string;
  /** The normalised 5-field cron expression. */
  schedule: string;
  on_calendar: string;
  /** The argv as a JSON array of strings. */
  command_json: string;
  service: string | null;
  timeout_s: number;
  mechanism: 'systemd' | 'cron';
  unit: string;
  created_at: string;
  updated_at: string;
}

/** Domains of an app beyond its primary `apps.domain`, in order (migration app-domains). */
export interface AppDomainsTable {
  id: Generated<number>;
  app_id: number;
  server_id: number;
  domain: string;
  position: number;
  created_at: string;
}

/** A private registry a server logs in to (migration registries). */
export interface RegistriesTable {
  id: Generated<number>;
  server_id: number;
  host: string;
  username: string;
  /** Sealed under the master key (`seal`), bound to the server id and host. */
  password_enc: string;
  logged_in_at: string | null;
  created_at: string;
  updated_at: string;
}

/** The privileged compose options an admin allowed for an app (migration app-privileges). */
export interface AppPrivilegesTable {
  app_id: number;
  /** Comma-separated classes of core/compose-privileges.ts, sorted. */
  classes: string;
  granted_by: string;
  updated_at: string;
}

/** A person who signs in to the dashboard or the API (migration teams). */
export interface UsersTable {
  id: Generated<number>;
  name: string;
  role: 'viewer' | 'deployer' | 'admin';
  /** JSON array of server names the user is limited to; null: every server. */
  servers_json: string | null;
  email: string | null;
  /** `scrypt$N$r$p$salt$hash`; null for a user who signs in only through OpenID Connect. */
  password_hash: string | null;
  created_at: string;
  updated_at: string;
}

/** A dashboard session: `id` is the SHA-256 of the cookie's token (the token itself is never stored). */
export interface SessionsTable {
  id: string;
  user_id: number;
  /** `password` or `oidc:<provider>`. */
  via: string;
  source: string;
  created_at: string;
  last_seen_at: string;
  /** Absolute expiry; the idle expiry is counted from last_seen_at. */
  expires_at: string;
}

/** A scoped API token (service account): stored as its SHA-256, shown once. */
export interface ApiTokensTable {
  id: Generated<number>;
  name: string;
  token_hash: string;
  /** The first characters, to recognise a token in a list. */
  prefix: string;
  scope: 'read' | 'deploy' | 'admin';
  app: string | null;
  server: string | null;
  expires_at: string | null;
  created_by: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface OidcProvidersTable {
  id: Generated<number>;
  name: string;
  kind: 'oidc' | 'github';
  /** Issuer, client id and secret, user mapping: JSON sealed under the master key, bound to the provider name. */
  config_enc: string;
  created_at: string;
  updated_at: string;
}

/** An OpenID Connect login in progress: keyed by the SHA-256 of its `state`, bound to the browser's cookie. */
export interface AuthFlowsTable {
  state_hash: string;
  provider: string;
  browser_hash: string;
  /** Nonce and PKCE verifier, sealed. */
  secrets_enc: string;
  created_at: string;
  expires_at: string;
}

/** "This operation needs another admin's approval" (on every server, or on servers with a label). */
export interface PoliciesTable {
  id: Generated<number>;
  operation: string;
  /** `''`: every server; else a label selector `key=value` or `key`. */
  server_label: string;
  expires_after_s: number;
  created_by: string;
  created_at: string;
}

/** The approval side of a job in `approval_pending`. */
export interface ApprovalsTable {
  job_id: string;
  operation: string;
  /** The requester's principal id (self-approval check). */
  requested_by: string;
  /** The requester's principal, to run the operation with their rights once approved. */
  requester_json: string;
  /** Which policy asked for approval (shown to approvers). */
  policy: string;
  /** What would change, for the approver. */
  diff_json: string;
  expires_at: string;
  decided_by: string | null;
  decided_at: string | null;
  decision: 'approved' | 'rejected' | 'expired' | null;
  comment: string | null;
}

/** A catalog host entry run on a server (migration 0006). */
export interface CatalogHostInstallsTable {
  id: Generated<number>;
  server_id: number;
  entry_id: string;
  version: string;
  status: 'installed' | 'unchanged' | 'failed';
  exit_code: number | null;
  job_id: string | null;
  /** Non-secret input values of the last run. */
  values_json: string;
  /** Every input value of the last run (secret ones too), JSON sealed under the master key (see hostValuesPurpose). */
  values_sealed: string | null;
  created_at: string;
  updated_at: string;
}

export type ServerRow = Selectable<ServersTable>;
export type NewServerRow = Insertable<ServersTable>;
export type ServerUpdate = Updateable<ServersTable>;
export type AppRow = Selectable<AppsTable>;
export type NewAppRow = Insertable<AppsTable>;
export type DeploymentRow = Selectable<DeploymentsTable>;
export type EnvVarRow = Selectable<EnvVarsTable>;
export type JobRow = Selectable<JobsTable>;
export type JobStepRow = Selectable<JobStepsTable>;
export type JobLogRow = Selectable<JobLogsTable>;
export type ProxyRouteRow = Selectable<ProxyRoutesTable>;
export type UserRow = Selectable<UsersTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
export type AuditRow = Selectable<AuditEventsTable>;
export type PolicyRow = Selectable<PoliciesTable>;
export type ApprovalRow = Selectable<ApprovalsTable>;
export type CronTaskRow = Selectable<CronTasksTable>;
export type SecretRow = Selectable<SecretsTable>;
export type ProviderRow = Selectable<ProvidersTable>;
export type ProviderServerRow = Selectable<ProviderServersTable>;
export type BackupTargetRow = Selectable<BackupTargetsTable>;
export type BackupRunRow = Selectable<BackupRunsTable>;
export type RegistryRow = Selectable<RegistriesTable>;

/** The control host as the meeting point of edge devices (one row, id 1; written by `edge setup`). */
export interface EdgeControlTable {
  id: number;
  /** Host name or address, and port, the devices dial (the control host's sshd as seen from them). */
  endpoint_host: string;
  endpoint_port: number;
  /** The system user devices log in as, authorised only for their reverse forward. */
  tunnel_user: string;
  /** The local user sshd runs `cat` as to read infrakt's dedicated authorized_keys (AuthorizedKeysCommandUser). */
  keys_user: string;
  /** `<type> <base64>` lines of the control host's sshd host keys: what devices pin. */
  host_keys: string;
  port_min: number;
  port_max: number;
  created_at: string;
  updated_at: string;
}

/** Docker Swarm clusters (migration clusters). */
export interface ClustersTable {
  id: Generated<number>;
  name: string;
  status: 'creating' | 'active' | 'failed' | 'destroying';
  /** ClusterSettings as JSON (network, edge proxy port and image). */
  settings_json: string;
  created_at: string;
  updated_at: string;
}

export interface ClusterNodesTable {
  cluster_id: number;
  server_id: number;
  role: 'manager' | 'worker';
  /** Swarm's node ID, known once the server joined. */
  node_id: string | null;
  created_at: string;
}

export interface ClusterAppsTable {
  app_id: number;
  cluster_id: number;
  replicas: number;
  /** Placement constraints, e.g. ["node.labels.zone==a"]. */
  placement_json: string;
  max_per_node: number | null;
  deployed_image: string | null;
  previous_image: string | null;
}

export type ClusterRow = Selectable<ClustersTable>;
export type ClusterNodeRow = Selectable<ClusterNodesTable>;
export type ClusterAppRow = Selectable<ClusterAppsTable>;
/** An SSH server the user owns where devices and infrakt meet when the control host is not reachable. */
export interface EdgeRelaysTable {
  id: Generated<number>;
  name: string;
  host: string;
  port: number;
  /** infrakt's own login on the relay (to jump through it and to keep its dedicated authorized_keys). */
  user: string;
  key_path: string | null;
  host_key: string;
  host_key_fingerprint: string;
  tunnel_user: string;
  /** Absolute path of the dedicated authorized_keys on the relay, owned by `user`. */
  keys_file: string;
  port_min: number;
  port_max: number;
  created_at: string;
  updated_at: string;
}

export interface EdgeDevicesTable {
  server_id: number;
  /** null: the device dials the control host itself. */
  relay_id: number | null;
  /** The loopback port its reverse forward listens on (on the control host or the relay). */
  tunnel_port: number;
  /** The device's own sshd port the forward leads to. */
  device_ssh_port: number;
  /** `ssh-ed25519 <base64>` of the key generated for this device's tunnel. */
  tunnel_key: string;
  last_seen_at: string | null;
  created_at: string;
}

export type EdgeControlRow = Selectable<EdgeControlTable>;
export type EdgeRelayRow = Selectable<EdgeRelaysTable>;
export type EdgeDeviceRow = Selectable<EdgeDevicesTable>;
