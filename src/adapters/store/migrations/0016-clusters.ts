import type { Migration } from './types.js';

/**
 * Docker Swarm clusters (issue 20): a cluster is a set of registered servers; infrakt talks to its managers
 * over SSH like to any server. A server is in at most one cluster. A cluster app is an app row (its server is
 * the cluster's first manager) plus its replica settings here. Join tokens are never stored.
 */
export const clusters: Migration = {
  version: 16,
  name: 'clusters',
  sql: `
CREATE TABLE clusters (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  status TEXT NOT NULL CHECK (status IN ('creating','active','failed','destroying')),
  settings_json TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE cluster_nodes (
  cluster_id INTEGER NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
  server_id INTEGER NOT NULL UNIQUE REFERENCES servers(id) ON DELETE RESTRICT,
  role TEXT NOT NULL CHECK (role IN ('manager','worker')),
  node_id TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (cluster_id, server_id)
);

CREATE TABLE cluster_apps (
  app_id INTEGER PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,
  cluster_id INTEGER NOT NULL REFERENCES clusters(id) ON DELETE RESTRICT,
  replicas INTEGER NOT NULL CHECK (replicas BETWEEN 0 AND 100),
  placement_json TEXT NOT NULL DEFAULT '[]',
  max_per_node INTEGER,
  deployed_image TEXT,
  previous_image TEXT
);
`,
};
