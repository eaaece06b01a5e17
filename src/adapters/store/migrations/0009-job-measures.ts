import type { Migration } from './types.js';

/**
 * What a job cost on the wire and when its effect began: the round trips and SSH handshakes of its server
 * session (`Executor.stats()`), and for a deploy the moment traffic switched to the new release ("serving"),
 * which comes before the job ends (the previous release is retired after it).
 */
export const jobMeasures: Migration = {
  version: 9,
  name: 'job-measures',
  sql: `
ALTER TABLE jobs ADD COLUMN round_trips INTEGER;
ALTER TABLE jobs ADD COLUMN ssh_handshakes INTEGER;
ALTER TABLE jobs ADD COLUMN serving_at TEXT;
`,
};
