import type { Migration } from './types.js';

/**
 * A heartbeat on running jobs: the process running a job refreshes it every few seconds, so a job
 * whose process can't be checked by pid (another hostname, e.g. a restarted container sharing the
 * state volume) is recognised as interrupted once the heartbeat goes stale.
 */
export const jobHeartbeat: Migration = {
  version: 5,
  name: 'job-heartbeat',
  sql: `
ALTER TABLE jobs ADD COLUMN heartbeat_at TEXT;
`,
};
