import type { Migration } from './types.js';

/**
 * Teams and governance (issue 15): users with roles, dashboard sessions, scoped API tokens, OpenID Connect
 * providers (their settings sealed under the master key) and pending logins, approval policies and requests,
 * the resource lifecycle state, and the audit log's hash chain. Jobs gain `approval_pending` and `rejected`.
 */
const TABLES = `
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL CHECK (role IN ('viewer','deployer','admin')),
  servers_json TEXT,
  email TEXT UNIQUE,
  password_hash TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  via TEXT NOT NULL,
  source TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  token_hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  scope TEXT NOT NULL CHECK (scope IN ('read','deploy','admin')),
  app TEXT,
  server TEXT,
  expires_at TEXT,
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_used_at TEXT,
  revoked_at TEXT
);

CREATE TABLE oidc_providers (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('oidc','github')),
  config_enc TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE auth_flows (
  state_hash TEXT PRIMARY KEY,
  provider TEXT NOT NULL,
  browser_hash TEXT NOT NULL,
  secrets_enc TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);

CREATE TABLE policies (
  id INTEGER PRIMARY KEY,
  operation TEXT NOT NULL,
  server_label TEXT NOT NULL DEFAULT '',
  expires_after_s INTEGER NOT NULL CHECK (expires_after_s > 0),
  created_by TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (operation, server_label)
);

CREATE TABLE approvals (
  job_id TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
  operation TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  requester_json TEXT NOT NULL,
  policy TEXT NOT NULL,
  diff_json TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  decided_by TEXT,
  decided_at TEXT,
  decision TEXT CHECK (decision IN ('approved','rejected','expired')),
  comment TEXT
);

ALTER TABLE servers ADD COLUMN state TEXT NOT NULL DEFAULT 'provision';
ALTER TABLE apps ADD COLUMN state TEXT NOT NULL DEFAULT 'provision';
UPDATE apps SET state = 'provisioned' WHERE current_release IS NOT NULL OR status IN ('running','stopped');
UPDATE servers SET state = 'provisioned'
  WHERE id IN (SELECT server_id FROM jobs WHERE kind = 'server.provision' AND status = 'succeeded');

ALTER TABLE audit_events ADD COLUMN seq INTEGER;
ALTER TABLE audit_events ADD COLUMN actor_kind TEXT NOT NULL DEFAULT 'cli';
ALTER TABLE audit_events ADD COLUMN source TEXT NOT NULL DEFAULT 'local';
ALTER TABLE audit_events ADD COLUMN result TEXT NOT NULL DEFAULT 'ok';
ALTER TABLE audit_events ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_events ADD COLUMN hash TEXT;
UPDATE audit_events SET seq = id;
CREATE UNIQUE INDEX audit_events_seq ON audit_events(seq);

CREATE INDEX jobs_app ON jobs(app_id, created_at);
CREATE INDEX jobs_server ON jobs(server_id, created_at);
`;

const JOB_STATUS_CHECK = `status IN ('approval_pending','queued','running','succeeded','failed','cancelled','rejected')`;

// SQLite cannot change a CHECK: the jobs table is rebuilt (foreign keys off, see Migration.rebuildsTables).
const SQLITE_JOBS = `
CREATE TABLE jobs_new (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  status TEXT NOT NULL CHECK (${JOB_STATUS_CHECK}),
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
  finished_at TEXT,
  heartbeat_at TEXT,
  round_trips INTEGER,
  ssh_handshakes INTEGER,
  serving_at TEXT
);
INSERT INTO jobs_new (id, kind, status, server_id, app_id, target, params_json, result_json, error_code, error_message,
  error_hint, actor, runner, cancel_requested, created_at, started_at, finished_at, heartbeat_at,
  round_trips, ssh_handshakes, serving_at)
  SELECT id, kind, status, server_id, app_id, target, params_json, result_json, error_code, error_message,
  error_hint, actor, runner, cancel_requested, created_at, started_at, finished_at, heartbeat_at,
  round_trips, ssh_handshakes, serving_at FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_status ON jobs(status);
CREATE INDEX jobs_created ON jobs(created_at);
`;

const POSTGRES_JOBS = `
ALTER TABLE jobs DROP CONSTRAINT jobs_status_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_status_check CHECK (${JOB_STATUS_CHECK});
`;

const pgTables = TABLES.replace(/\bINTEGER PRIMARY KEY\b/g, 'INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY');

export const teams: Migration = {
  version: 17,
  name: 'teams',
  sql: SQLITE_JOBS + TABLES,
  postgres: POSTGRES_JOBS + pgTables,
  rebuildsTables: true,
};
