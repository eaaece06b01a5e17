import type BetterSqlite3 from 'better-sqlite3';
import { postgresSql } from '../dialect.js';
import type { Migration } from './types.js';

/**
 * Off-site backups: restic targets (location as JSON, credentials and the repository password sealed under the
 * master key), the result of every backup infrakt ran or learnt about, and the password of each server's local
 * restic repository (app volume backups without a target). Also admits `db:mariadb` as an app type.
 */
const SQL = `
CREATE TABLE backup_targets (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL CHECK (kind IN ('sftp','s3')),
  location_json TEXT NOT NULL,
  secrets_enc TEXT NOT NULL,
  last_check_json TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE backup_runs (
  id INTEGER PRIMARY KEY,
  server_id INTEGER NOT NULL REFERENCES servers(id) ON DELETE CASCADE,
  subject_kind TEXT NOT NULL CHECK (subject_kind IN ('db','app')),
  subject TEXT NOT NULL,
  target TEXT,
  status TEXT NOT NULL CHECK (status IN ('ok','failed')),
  snapshot_id TEXT,
  bytes INTEGER,
  message TEXT,
  job_id TEXT,
  started_at TEXT NOT NULL,
  finished_at TEXT NOT NULL
);
CREATE INDEX backup_runs_subject ON backup_runs(server_id, subject_kind, subject, id);

CREATE TABLE server_repos (
  server_id INTEGER PRIMARY KEY REFERENCES servers(id) ON DELETE CASCADE,
  password_enc TEXT NOT NULL,
  created_at TEXT NOT NULL
);
`;

export const backupTargets: Migration = {
  version: 8,
  name: 'backup-targets',
  sql: SQL,
  run: admitMariadb,
  // Postgres changes a CHECK in place (its default constraint name is table_column_check).
  postgres: `${postgresSql({ version: 8, name: 'backup-targets', sql: SQL })}
ALTER TABLE apps DROP CONSTRAINT apps_app_type_check;
ALTER TABLE apps ADD CONSTRAINT apps_app_type_check
  CHECK (app_type IN ('image','git','compose','db:postgres','db:mysql','db:redis','db:mongo','db:mariadb'));
`,
};

/**
 * Widens the CHECK of apps.app_type by editing its stored definition, the procedure SQLite documents for changing
 * a CHECK constraint (ALTER TABLE, section 7): rebuilding \`apps\` instead would cascade-delete its deployments and
 * variables (foreign keys are on and cannot be switched off inside the migration's transaction). Existing rows all
 * satisfy the wider constraint, so the file stays consistent (checked by integrity_check).
 */
function admitMariadb(db: BetterSqlite3.Database): void {
  const row = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'apps'").get() as
    | { sql: string }
    | undefined;
  if (!row || row.sql.includes("'db:mariadb'")) return;
  const widened = row.sql.replace("'db:mongo')", "'db:mongo','db:mariadb')");
  if (widened === row.sql) throw new Error('migration backup-targets: unexpected apps.app_type constraint');
  const version = db.pragma('schema_version', { simple: true }) as number;
  db.unsafeMode(true);
  try {
    db.pragma('writable_schema = ON');
    db.prepare("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'apps'").run(widened);
    db.pragma(`schema_version = ${version + 1}`);
    db.pragma('writable_schema = OFF');
  } finally {
    db.unsafeMode(false);
  }
  const check = db.pragma('integrity_check', { simple: true });
  if (check !== 'ok') throw new Error(`migration backup-targets: integrity_check says ${String(check)}`);
}
