import type { Migration } from './types.js';

export const initial: Migration = {
  version: 1,
  name: 'initial',
  sql: `
CREATE TABLE servers (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  host TEXT NOT NULL,
  port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
  "user" TEXT NOT NULL,
  key_path TEXT,
  provider TEXT,
  root_dir TEXT NOT NULL DEFAULT '/opt/infrakt',
  status TEXT NOT NULL DEFAULT 'unknown',
  host_key_fingerprint TEXT,
  host_key TEXT,
  settings_json TEXT NOT NULL DEFAULT '{}',
  last_checked_at TEXT,
  last_error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE apps (
  id INTEGER PRIMARY KEY,
  server_id INTEGER NOT NULL REFERENCES servers(id) ON DELETE RESTRICT,
  name TEXT NOT NULL,
  app_type TEXT NOT NULL CHECK (app_type IN ('image','git','compose','db:postgres','db:mysql','db:redis','db:mongo')),
  domain TEXT,
  port INTEGER NOT NULL CHECK (port BETWEEN 1 AND 65535),
  git_repo TEXT,
  branch TEXT,
  image TEXT,
  status TEXT NOT NULL DEFAULT 'created',
  settings_json TEXT NOT NULL DEFAULT '{}',
  current_release INTEGER,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (server_id, name)
);
CREATE UNIQUE INDEX apps_domain_per_server ON apps(server_id, domain) WHERE domain IS NOT NULL;

CREATE TABLE deployments (
  id INTEGER PRIMARY KEY,
  app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  release INTEGER NOT NULL,
  action TEXT NOT NULL DEFAULT 'deploy',
  source_type TEXT NOT NULL,
  source_ref TEXT,
  status TEXT NOT NULL,
  host_port INTEGER,
  error TEXT,
  triggered_by TEXT NOT NULL,
  job_id TEXT,
  details_json TEXT NOT NULL DEFAULT '{}',
  started_at TEXT NOT NULL,
  finished_at TEXT
);
CREATE INDEX deployments_app ON deployments(app_id, id);

CREATE TABLE env_vars (
  id INTEGER PRIMARY KEY,
  app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value_enc TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (app_id, key)
);

CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('queued','running','succeeded','failed','cancelled')),
  server_id INTEGER,
  app_id INTEGER,
  target TEXT NOT NULL,
  params_json TEXT NOT NULL DEFAULT '{}',
  result_json TEXT,
  error_code TEXT,
  error_message TEXT,
  error_hint TEXT,
  actor TEXT NOT NULL,
  runner TEXT,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT
);
CREATE INDEX jobs_status ON jobs(status);
CREATE INDEX jobs_created ON jobs(created_at);

CREATE TABLE job_steps (
  id INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  exit_code INTEGER,
  detail TEXT,
  started_at TEXT,
  finished_at TEXT,
  UNIQUE (job_id, idx)
);

CREATE TABLE job_logs (
  id INTEGER PRIMARY KEY,
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  step_idx INTEGER,
  stream TEXT NOT NULL,
  line TEXT NOT NULL,
  ts TEXT NOT NULL
);
CREATE INDEX job_logs_job ON job_logs(job_id, id);

CREATE TABLE locks (
  name TEXT PRIMARY KEY,
  job_id TEXT,
  holder TEXT NOT NULL,
  acquired_at TEXT NOT NULL
);

CREATE TABLE audit_events (
  id INTEGER PRIMARY KEY,
  ts TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  details_json TEXT NOT NULL DEFAULT '{}'
);

CREATE TABLE proxy_routes (
  id INTEGER PRIMARY KEY,
  server_id INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
  domain TEXT NOT NULL,
  upstream_port INTEGER NOT NULL CHECK (upstream_port BETWEEN 1 AND 65535),
  app_id INTEGER REFERENCES apps(id) ON DELETE CASCADE,
  created_at TEXT NOT NULL,
  UNIQUE (server_id, domain)
);
`,
};
