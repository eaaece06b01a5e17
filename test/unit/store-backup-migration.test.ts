// The backup-targets migration on a state file written before it: apps.app_type admits db:mariadb, every existing
// row (apps, deployments, variables) survives, the file stays consistent, and a second open changes nothing.
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate } from '../../src/adapters/store/migrate.js';
import { MIGRATIONS } from '../../src/adapters/store/migrations/index.js';
import { dumpTables, removeDir, tempDir } from '../helpers/state.js';

let dir: string;
beforeEach(() => {
  dir = tempDir();
});
afterEach(() => removeDir(dir));

const now = '2026-01-01T00:00:00Z';

describe('migration backup-targets', () => {
  it('widens apps.app_type in place, keeping every row', () => {
    const file = `${dir}/state.db`;
    const raw = new Database(file);
    raw.pragma('foreign_keys = ON');
    const index = MIGRATIONS.findIndex((m) => m.name === 'backup-targets');
    migrate(raw, MIGRATIONS.slice(0, index), file);
    raw
      .prepare(
        "INSERT INTO servers (name, host, port, user, root_dir, created_at, updated_at) VALUES ('s1', 'h', 22, 'root', '/opt/infrakt', ?, ?)",
      )
      .run(now, now);
    raw
      .prepare(
        "INSERT INTO apps (server_id, name, app_type, port, created_at, updated_at) VALUES (1, 'web', 'image', 3000, ?, ?)",
      )
      .run(now, now);
    raw
      .prepare("INSERT INTO env_vars (app_id, key, value_enc, created_at, updated_at) VALUES (1, 'K', 'v1.x.y', ?, ?)")
      .run(now, now);
    raw
      .prepare(
        "INSERT INTO deployments (app_id, release, source_type, status, triggered_by, started_at) VALUES (1, 1, 'image', 'succeeded', 'me', ?)",
      )
      .run(now);
    const insertMaria = () =>
      raw
        .prepare(
          "INSERT INTO apps (server_id, name, app_type, port, created_at, updated_at) VALUES (1, 'm', 'db:mariadb', 3306, ?, ?)",
        )
        .run(now, now);
    expect(insertMaria).toThrow(/CHECK constraint failed/);
    const before = dumpTables(raw);

    const report = migrate(raw, MIGRATIONS.slice(0, index + 1), file);
    expect(report.applied).toContain(`${MIGRATIONS[index]!.version}-backup-targets`);
    const after = dumpTables(raw);
    // Every row and value kept (later migrations may add columns: only the columns that were there are compared).
    for (const t of ['servers', 'apps', 'env_vars', 'deployments']) {
      const rows = (after[t] ?? []) as Record<string, unknown>[];
      expect(rows).toEqual(((before[t] ?? []) as Record<string, unknown>[]).map((row, i) => ({ ...rows[i], ...row })));
    }
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(raw.pragma('foreign_key_check')).toEqual([]);
    insertMaria();
    expect(() =>
      raw
        .prepare(
          "INSERT INTO apps (server_id, name, app_type, port, created_at, updated_at) VALUES (1, 'o', 'db:oracle', 1, ?, ?)",
        )
        .run(now, now),
    ).toThrow(/CHECK constraint failed/);
    raw.close();

    // Another connection sees the new definition; opening again applies nothing.
    const again = new Database(file);
    expect(migrate(again, MIGRATIONS.slice(0, index + 1), file).applied).toEqual([]);
    expect(again.prepare("SELECT count(*) FROM apps WHERE app_type = 'db:mariadb'").pluck().get()).toBe(1);
    again.close();
  });
});
