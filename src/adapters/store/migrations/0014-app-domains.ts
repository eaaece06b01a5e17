import type { Migration } from './types.js';

/**
 * Further domains of an app (`app update --domain` repeated): `apps.domain` stays the primary one, these are
 * the others, in order. One domain routes to one app per server: the unique index covers these, the service
 * checks them against the primary domains of the other apps in the same transaction.
 */
export const appDomains: Migration = {
  version: 14,
  name: 'app-domains',
  sql: `
CREATE TABLE app_domains (
  id INTEGER PRIMARY KEY,
  app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  server_id INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
  domain TEXT NOT NULL,
  position INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (server_id, domain)
);
CREATE INDEX app_domains_app ON app_domains(app_id, position);
`,
};
