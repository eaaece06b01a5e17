import type { Migration } from './types.js';

/**
 * What catalog host entries (installers run on a server, not apps) were installed where, with the outcome of
 * the last run. Only non-secret input values are kept; compose entries are apps and live in `apps`.
 */
export const catalogHostInstalls: Migration = {
  version: 6,
  name: 'catalog-host-installs',
  sql: `
CREATE TABLE catalog_host_installs (
  id INTEGER PRIMARY KEY,
  server_id INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
  entry_id TEXT NOT NULL,
  version TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('installed','unchanged','failed')),
  exit_code INTEGER,
  job_id TEXT,
  values_json TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (server_id, entry_id)
);
`,
};
