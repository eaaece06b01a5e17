import type { Migration } from './types.js';

/**
 * Fleet as code (issue 14): named secrets, cloud providers (their API tokens encrypted like env values) and
 * the servers infrakt created at a provider. A provider server is recorded BEFORE the create call, with the
 * host key infrakt generated for it: a retried `server create` finds the record and resumes instead of
 * creating a second machine.
 */
export const fleet: Migration = {
  version: 7,
  name: 'fleet',
  sql: `
CREATE TABLE secrets (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  value_enc TEXT NOT NULL,
  source TEXT NOT NULL DEFAULT 'user',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE providers (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL CHECK (type IN ('hetzner')),
  token_enc TEXT NOT NULL,
  settings_json TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE provider_servers (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  provider_id INTEGER NOT NULL REFERENCES providers(id) ON DELETE RESTRICT,
  external_id TEXT,
  server_type TEXT NOT NULL,
  location TEXT NOT NULL,
  image TEXT NOT NULL,
  host_key TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('creating','created','destroying')),
  details_json TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
`,
};
