import type { Migration } from './types.js';

/**
 * What an admin allowed an app's compose files to ask for although its deployer is not an admin (issue 15): one
 * row per app, the allowed classes of core/compose-privileges.ts comma-separated, and who allowed them last.
 */
export const appPrivileges: Migration = {
  version: 19,
  name: 'app-privileges',
  sql: `
CREATE TABLE app_privileges (
  app_id INTEGER PRIMARY KEY REFERENCES apps(id) ON DELETE CASCADE,
  classes TEXT NOT NULL,
  granted_by TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
`,
};
