import type { Migration } from './types.js';

/**
 * Issue 16: webhooks and their delivery log, polling, preview deployments, health monitoring history and
 * notification channels with their outbox. Secrets (webhook secrets, preview overrides, channel secrets) are
 * sealed under the master key like env values; history tables are pruned by `infrakt serve`.
 */
const SQL = `
CREATE TABLE webhooks (
  app_id INTEGER PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,
  hook_id TEXT NOT NULL UNIQUE,
  secret_enc TEXT NOT NULL,
  branch TEXT,
  created_at TEXT NOT NULL,
  rotated_at TEXT
);

CREATE TABLE webhook_deliveries (
  id INTEGER PRIMARY KEY,
  app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  provider TEXT NOT NULL,
  delivery_id TEXT,
  body_sha256 TEXT,
  event TEXT,
  ref TEXT,
  commit_sha TEXT,
  pr_number INTEGER,
  outcome TEXT NOT NULL,
  reason TEXT,
  job_id TEXT,
  remote_addr TEXT,
  received_at TEXT NOT NULL
);
CREATE INDEX webhook_deliveries_app ON webhook_deliveries(app_id, id);
CREATE INDEX webhook_deliveries_id ON webhook_deliveries(app_id, delivery_id);
CREATE INDEX webhook_deliveries_body ON webhook_deliveries(app_id, body_sha256);

CREATE TABLE app_polls (
  app_id INTEGER PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,
  interval_s INTEGER NOT NULL CHECK (interval_s >= 1),
  last_seen TEXT,
  last_started TEXT,
  last_job_id TEXT,
  last_checked_at TEXT,
  next_check_at TEXT NOT NULL,
  last_error TEXT,
  created_at TEXT NOT NULL
);

CREATE TABLE preview_settings (
  app_id INTEGER PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,
  domain TEXT NOT NULL,
  max_previews INTEGER NOT NULL CHECK (max_previews BETWEEN 1 AND 50),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE preview_env (
  app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value_enc TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (app_id, key)
);

CREATE TABLE previews (
  id INTEGER PRIMARY KEY,
  parent_app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  pr_number INTEGER NOT NULL,
  app_id INTEGER REFERENCES apps(id) ON DELETE SET NULL,
  head_sha TEXT NOT NULL,
  head_ref TEXT,
  status TEXT NOT NULL,
  job_id TEXT,
  error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (parent_app_id, pr_number)
);

CREATE TABLE monitor_states (
  id INTEGER PRIMARY KEY,
  app_id INTEGER UNIQUE REFERENCES apps(id) ON DELETE CASCADE,
  server_id INTEGER UNIQUE REFERENCES servers(id) ON DELETE CASCADE,
  state TEXT NOT NULL DEFAULT 'unknown' CHECK (state IN ('unknown','up','down')),
  streak INTEGER NOT NULL DEFAULT 0,
  changed_at TEXT,
  checked_at TEXT,
  last_error TEXT,
  alarms_json TEXT NOT NULL DEFAULT '{}',
  CHECK ((app_id IS NULL) <> (server_id IS NULL))
);

CREATE TABLE health_samples (
  id INTEGER PRIMARY KEY,
  app_id INTEGER REFERENCES apps(id) ON DELETE CASCADE,
  server_id INTEGER REFERENCES servers(id) ON DELETE CASCADE,
  ts TEXT NOT NULL,
  ok INTEGER NOT NULL,
  response_ms INTEGER,
  status_code INTEGER,
  error TEXT,
  CHECK ((app_id IS NULL) <> (server_id IS NULL))
);
CREATE INDEX health_samples_app ON health_samples(app_id, ts);
CREATE INDEX health_samples_server ON health_samples(server_id, ts);
CREATE INDEX health_samples_ts ON health_samples(ts);

CREATE TABLE server_metrics (
  id INTEGER PRIMARY KEY,
  server_id INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
  ts TEXT NOT NULL,
  cpu_pct REAL,
  load1 REAL,
  mem_used INTEGER,
  mem_total INTEGER,
  disk_used INTEGER,
  disk_total INTEGER,
  containers INTEGER
);
CREATE INDEX server_metrics_server ON server_metrics(server_id, ts);
CREATE INDEX server_metrics_ts ON server_metrics(ts);

CREATE TABLE notify_channels (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL CHECK (type IN ('webhook','slack','discord','email')),
  config_json TEXT NOT NULL DEFAULT '{}',
  secret_enc TEXT NOT NULL,
  events_json TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE notify_events (
  id INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  subject TEXT NOT NULL,
  payload_json TEXT NOT NULL,
  ts TEXT NOT NULL
);
CREATE INDEX notify_events_ts ON notify_events(ts);

CREATE TABLE notify_deliveries (
  id INTEGER PRIMARY KEY,
  event_id INTEGER NOT NULL REFERENCES notify_events(id) ON DELETE CASCADE,
  channel_id INTEGER NOT NULL REFERENCES notify_channels(id) ON DELETE CASCADE,
  status TEXT NOT NULL CHECK (status IN ('pending','sending','delivered','failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  claimed_by TEXT,
  claimed_at TEXT,
  last_error TEXT,
  response_code INTEGER,
  delivered_at TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX notify_deliveries_due ON notify_deliveries(status, next_attempt_at);
CREATE INDEX notify_deliveries_channel ON notify_deliveries(channel_id, id);
`;

export const pushDeploy: Migration = {
  version: 10,
  name: 'push-deploy',
  sql: SQL,
  // Postgres's INTEGER is 32-bit (SQLite's is 64): byte counts of memory and disks need BIGINT there.
  postgres: SQL.replace(/\bINTEGER PRIMARY KEY\b/g, 'INTEGER GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY').replace(
    /\b(mem_used|mem_total|disk_used|disk_total) INTEGER\b/g,
    '$1 BIGINT',
  ),
};
