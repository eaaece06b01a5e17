import type { Migration } from './types.js';

/**
 * Private container registries a server logs in to (`registry add`). The password or token is sealed under the
 * master key (AES-256-GCM, bound to the server and host); the server keeps Docker's own login under its root.
 */
export const registries: Migration = {
  version: 15,
  name: 'registries',
  sql: `
CREATE TABLE registries (
  id INTEGER PRIMARY KEY,
  server_id INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
  host TEXT NOT NULL,
  username TEXT NOT NULL,
  password_enc TEXT NOT NULL,
  logged_in_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (server_id, host)
);
`,
};
