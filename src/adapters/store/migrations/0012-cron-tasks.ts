import type { Migration } from './types.js';

/**
 * Scheduled tasks of apps (`cron add`): what runs when, and how the schedule was installed on the server. The
 * result of each run lives on the server (read by `cron list`), so a run never needs this machine.
 */
export const cronTasks: Migration = {
  version: 12,
  name: 'cron-tasks',
  sql: `
CREATE TABLE cron_tasks (
  id INTEGER PRIMARY KEY,
  app_id INTEGER NOT NULL REFERENCES apps(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  schedule TEXT NOT NULL,
  on_calendar TEXT NOT NULL,
  command_json TEXT NOT NULL,
  service TEXT,
  timeout_s INTEGER NOT NULL,
  mechanism TEXT NOT NULL CHECK (mechanism IN ('systemd','cron')),
  unit TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (app_id, name)
);
`,
};
